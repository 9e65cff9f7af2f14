"""`reference` mode: the model-mode workloads in PyTorch eager and torch.compile, timed by the same harness.

The ONNX Runtime speed-up reported in the results is then a ratio of two measurements taken in the
same run on the same machine, not a figure quoted from elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from voxrank.serving.bench.measure import MeasureSettings, measure
from voxrank.serving.bench.model import Workload, waveform_batch, window_measurement
from voxrank.serving.bench.report import REFERENCE_NETWORK
from voxrank.serving.bench.schema import Measurement, ParameterValue
from voxrank.training.bench.reference_network import PyannoteArchitectureSegmentation

ENGINES = ("torch-eager", "torch-compile")


@dataclass(frozen=True)
class TorchTarget:
    """A module to time, under the name its ONNX export is reported with."""

    name: str
    module: nn.Module
    checkpoint: str | None = None
    """sha256 of the checkpoint the module was rebuilt from (None for the random-weight reference)."""


def reference_target(seed: int = 0) -> TorchTarget:
    torch.manual_seed(seed)
    return TorchTarget(REFERENCE_NETWORK, PyannoteArchitectureSegmentation().eval())


def _parameters(target: TorchTarget, engine: str, workload: Workload) -> dict[str, ParameterValue]:
    return {
        "engine": engine,
        "precision": "fp32",
        "checkpoint": target.checkpoint,
        "provider": "cpu",
        "batch": workload.batch,
        "input_s": workload.input_s,
        "threads": workload.threads,
    }


def _forward(module: nn.Module, engine: str) -> Callable[[torch.Tensor], object]:
    if engine == "torch-eager":
        return module
    # dynamic=False: one static graph per workload, the fastest torch.compile can make it.
    return torch.compile(module, dynamic=False)


def measure_torch(
    target: TorchTarget, engine: str, workload: Workload, settings: MeasureSettings
) -> Measurement:
    torch.set_num_threads(workload.threads)
    waveform = torch.from_numpy(waveform_batch(workload.batch, workload.input_s))
    parameters = _parameters(target, engine, workload)
    try:
        forward = _forward(target.module, engine)
        with torch.inference_mode():
            forward(waveform)  # compiles now, so compilation never lands in a measurement window
            result = measure(lambda: forward(waveform), settings, items_per_call=workload.batch)
    except Exception as error:  # torch.compile fails in many backend-specific ways
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Measurement(
            mode="reference", name=target.name, parameters=parameters, status="skipped", reason=reason[:300]
        )
    return window_measurement("reference", target.name, parameters, result, workload)


def run_reference_mode(
    targets: Iterable[TorchTarget],
    plan: Iterable[Workload],
    settings: MeasureSettings,
    engines: Iterable[str] = ENGINES,
    progress: Callable[[str], None] = lambda _: None,
) -> Iterator[Measurement]:
    plan, engines = list(plan), list(engines)
    for target in targets:
        for engine in engines:
            for workload in plan:
                progress(f"{target.name} {engine} b{workload.batch} {workload.input_s}s")
                yield measure_torch(target, engine, workload, settings)
