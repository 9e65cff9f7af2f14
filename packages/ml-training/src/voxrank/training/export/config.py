"""Per-model export configs, in the manner of Optimum's exporters: one class per model family says how
to build the module from a checkpoint, what its inputs and outputs are called, which axes are dynamic,
what example and calibration inputs look like, how to quantise it and which task metric gates it.
Adding a model family to `voxrank-train export` is one subclass plus `register_export_config`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
from torch import nn

from voxrank.serving.repository import TASK_CONTRACTS, Precision, Task
from voxrank.training.export.checkpoint import CheckpointInfo
from voxrank.training.export.errors import UnknownModelError

Feeds = dict[str, np.ndarray]
Runner = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]
Quantization = Literal["static", "dynamic"]

DEFAULT_OPSET = 18
PARITY_TOLERANCE: dict[Precision, float] = {"fp32": 1e-4, "fp16": 2e-2, "int8": 1.5e-1}
"""Largest absolute difference from the torch model each precision may show (docs/ONNX_CONTRACT.md)."""
GOLDEN_TOLERANCE: dict[Precision, float] = {"fp32": 1e-4, "fp16": 5e-3, "int8": 3e-2}
"""How far another runtime or provider may stray from the recorded golden output."""
FP32_OPS = (
    # Ops whose float16 result overflows (sums of squares, exp) or loses the precision normalisation needs.
    "BatchNormalization",
    "InstanceNormalization",
    "LayerNormalization",
    "GroupNormalization",
    "LpNormalization",
    "ReduceMean",
    "ReduceSum",
    "ReduceSumSquare",
    "ReduceL2",
    "ReduceLogSumExp",
    "Softmax",
    "LogSoftmax",
    "Exp",
    "Log",
    "Pow",
    "Sqrt",
    "Reciprocal",
    "Einsum",
)


@dataclass(frozen=True)
class TaskMetric:
    """The task-level gate: `measure(runner)` returns metrics by name; `name` is the one gated."""

    name: str
    measure: Callable[[Runner], dict[str, float]]
    max_delta: float
    higher_is_better: bool = False

    def worsening(self, reference: float, candidate: float) -> float:
        """How much worse `candidate` is than `reference` (negative when better)."""
        return reference - candidate if self.higher_is_better else candidate - reference


@dataclass(frozen=True)
class TensorAxes:
    """A graph input or output and its dynamic axes by position."""

    name: str
    dynamic_axes: dict[int, str] = field(default_factory=dict)


class ExportConfig:
    """How one model family is exported; subclasses fill in the class variables and the methods."""

    family: ClassVar[str]
    """The MODEL argument of `voxrank-train export`."""
    repository_name: ClassVar[str]
    """Name in the model repository of the fp32 export; other precisions append `-fp16` / `-int8`."""
    task: ClassVar[Task]
    inputs: ClassVar[tuple[TensorAxes, ...]]
    outputs: ClassVar[tuple[TensorAxes, ...]]
    quantization: ClassVar[Quantization]
    """"static" (per-channel QDQ with calibration data) for convolutional models, "dynamic" otherwise."""
    fp32_ops: ClassVar[tuple[str, ...]] = FP32_OPS
    float_modules: ClassVar[tuple[str, ...]] = ()
    """Top-level submodules (attribute names) that fp16 and int8 leave in float32, e.g. a feature front
    end whose log of small energies neither float16 nor int8 resolves well."""

    def __init__(self, checkpoint_path: Path, data_dir: Path | None = None) -> None:
        self.data_dir = data_dir
        self.module, self.checkpoint = self.load(checkpoint_path)

    def load(self, checkpoint_path: Path) -> tuple[nn.Module, CheckpointInfo]:
        """The torch module in eval mode with the checkpoint's weights, returning its outputs as a tuple
        in `outputs` order; raise CheckpointError for a checkpoint of another task or model family."""
        raise NotImplementedError

    @property
    def contract_major(self) -> int:
        return TASK_CONTRACTS[self.task].major

    @classmethod
    def name_for(cls, precision: Precision) -> str:
        return cls.repository_name if precision == "fp32" else f"{cls.repository_name}-{precision}"

    def example_inputs(self) -> Feeds:
        """Inputs traced by the exporter (not batch 1, so no axis is mistaken for a constant)."""
        raise NotImplementedError

    def validation_inputs(self) -> list[Feeds]:
        """Inputs of several batch sizes and lengths that parity and shape checks run on."""
        raise NotImplementedError

    def golden_inputs(self) -> Feeds:
        """The small input stored in the manifest with its expected output."""
        raise NotImplementedError

    def latency_inputs(self) -> Feeds:
        """The input the ONNX Runtime CPU latency is measured on (one request of the served size)."""
        raise NotImplementedError

    def calibration_inputs(self) -> list[Feeds]:
        """Representative inputs for static int8 calibration when none are given on the command line."""
        raise NotImplementedError

    def preprocessing(self) -> dict[str, Any]:
        return {}

    def postprocessing(self) -> dict[str, Any]:
        return {}

    def task_metric(self) -> TaskMetric | None:
        """The task-level gate measured on validation data, or None when the family has none."""
        return None


_REGISTRY: dict[str, type[ExportConfig]] = {}
_CONFIG_MODULES = ("voxrank.training.export.diarization", "voxrank.training.twotower.export_config")
"""Modules that register export configs when imported; a new model family adds its module here."""


def register_export_config(config: type[ExportConfig]) -> type[ExportConfig]:
    """Class decorator: make `config` available as `voxrank-train export <config.family>`."""
    _REGISTRY[config.family] = config
    return config


def export_config_class(family: str) -> type[ExportConfig]:
    _load_config_modules()
    try:
        return _REGISTRY[family]
    except KeyError:
        raise UnknownModelError(
            f"no export config for model '{family}'; known models: {', '.join(sorted(_REGISTRY))}"
        ) from None


def registered_families() -> list[str]:
    _load_config_modules()
    return sorted(_REGISTRY)


def _load_config_modules() -> None:
    import importlib

    for module in _CONFIG_MODULES:
        importlib.import_module(module)
