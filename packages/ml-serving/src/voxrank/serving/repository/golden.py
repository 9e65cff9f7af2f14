"""The golden-output check: a runtime must reproduce, on the manifest's small input, what export recorded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voxrank.serving.repository.errors import ContractMismatchError, GoldenMismatchError
from voxrank.serving.repository.manifest import Manifest

Runner = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]
"""Feeds by input name in, outputs by output name out (serving's SessionRunner is one)."""


class OrtSession(Protocol):
    """The part of `onnxruntime.InferenceSession` the check uses."""

    def run(self, output_names: list[str] | None, input_feed: dict[str, Any]) -> list[Any]: ...

    def get_outputs(self) -> list[Any]: ...


def golden_inputs(manifest: Manifest) -> dict[str, np.ndarray]:
    """The manifest's golden input tensors, by input name."""
    return {name: tensor.to_array() for name, tensor in manifest.golden.inputs.items()}


def golden_outputs(manifest: Manifest) -> dict[str, np.ndarray]:
    """The outputs recorded at export for the golden input, by output name."""
    return {name: tensor.to_array() for name, tensor in manifest.golden.outputs.items()}


def as_runner(session: Runner | OrtSession) -> Runner:
    """A Runner from either a Runner or an `onnxruntime.InferenceSession`."""
    if hasattr(session, "get_outputs") and hasattr(session, "run"):
        names = [node.name for node in session.get_outputs()]

        def run(feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
            return dict(zip(names, session.run(names, dict(feeds)), strict=True))

        return run
    return session


def cpu_session(model_path: Path) -> Any:
    """A plain CPU ONNX Runtime session on one thread: the reference the golden output is recorded on."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(model_path), sess_options=options, providers=["CPUExecutionProvider"])


def check_golden(session: Runner | OrtSession, manifest: Manifest) -> None:
    """Raise GoldenMismatchError unless `session` reproduces every golden output within the tolerance."""
    actual = as_runner(session)(golden_inputs(manifest))
    declared = {spec.name: spec for spec in manifest.outputs}
    for name, expected in golden_outputs(manifest).items():
        if name not in actual:
            raise ContractMismatchError(
                f"{manifest.name} {manifest.version} does not produce output '{name}'"
            )
        _compare(manifest, name, np.asarray(actual[name]), expected, declared[name].dtype)


def _compare(manifest: Manifest, name: str, actual: np.ndarray, expected: np.ndarray, dtype: str) -> None:
    label = f"{manifest.name} {manifest.version} golden output '{name}'"
    if str(actual.dtype) != dtype:
        raise ContractMismatchError(f"{label} is {actual.dtype}, the manifest declares {dtype}")
    if actual.shape != expected.shape:
        raise GoldenMismatchError(f"{label} has shape {list(actual.shape)}, expected {list(expected.shape)}")
    if not np.all(np.isfinite(actual)):
        raise GoldenMismatchError(f"{label} contains NaN or infinite values")
    golden = manifest.golden
    actual64, expected64 = actual.astype(np.float64), expected.astype(np.float64)
    if not np.allclose(actual64, expected64, atol=golden.atol, rtol=golden.rtol):
        worst = float(np.max(np.abs(actual64 - expected64)))
        raise GoldenMismatchError(
            f"{label} differs by up to {worst:.3g} (tolerance atol={golden.atol:g}, rtol={golden.rtol:g})"
        )
