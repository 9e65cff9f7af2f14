"""Modules to time, rebuilt from the training checkpoints that ONNX exports were made from."""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.repository import sha256_file
from voxrank.training.bench.reference import TorchTarget
from voxrank.training.diarization.checkpoint import CheckpointError, model_from_checkpoint

__all__ = ["CheckpointError", "from_repository", "from_specs"]


def from_specs(specs: list[str]) -> list[TorchTarget]:
    """Targets from `NAME=PATH` specs; NAME is what the ONNX export of the same model is reported as."""
    targets = []
    for spec in specs:
        name, separator, path = spec.partition("=")
        if not separator or not name or not path:
            raise CheckpointError(f"checkpoint spec {spec!r} is not NAME=PATH")
        targets.append(_target(name, Path(path)))
    return targets


def from_repository(root: Path) -> list[TorchTarget]:
    """The checkpoint behind the newest fp32 version of every diarization model in the repository."""
    from voxrank.serving.repository import ModelRepository

    repository = ModelRepository(root)
    targets = []
    for name in repository.models():
        fp32 = [
            version
            for version in map(lambda v: repository.resolve(name, str(v)), repository.versions(name))
            if version.manifest.task == "diarization" and version.manifest.precision == "fp32"
        ]
        if not fp32:
            continue
        checkpoint = fp32[-1].manifest.provenance.checkpoint
        if checkpoint is None:
            raise CheckpointError(
                f"{name} {fp32[-1].version}: the manifest names no checkpoint to rebuild it from"
            )
        targets.append(_target(name, _located(Path(checkpoint), root)))
    if not targets:
        raise CheckpointError(f"no fp32 diarization model in the model repository {root}")
    return targets


def _target(name: str, checkpoint: Path) -> TorchTarget:
    # The hash pairs this module with the ONNX exports made from the same checkpoint in the speed-ups.
    return TorchTarget(name, model_from_checkpoint(checkpoint)[0], checkpoint=sha256_file(checkpoint))


def _located(checkpoint: Path, root: Path) -> Path:
    # Manifests may record the checkpoint relative to where the export ran (the repository's parent).
    if checkpoint.is_absolute() or checkpoint.is_file():
        return checkpoint
    return root.resolve().parent / checkpoint
