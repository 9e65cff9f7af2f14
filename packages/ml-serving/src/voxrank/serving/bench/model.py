"""`model` mode: in-process ONNX Runtime latency per model x precision x provider x batch x input length."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.bench.measure import MeasureSettings, Result, measure
from voxrank.serving.bench.providers import ProviderError, create_runner
from voxrank.serving.bench.schema import Measurement, Mode, ParameterValue
from voxrank.serving.runtime.session import SessionRunner


@dataclass(frozen=True)
class ModelTarget:
    """One ONNX file to benchmark, with the name and precision results are reported under."""

    name: str
    precision: str
    path: Path
    version: str | None = None
    manifest: Any = field(default=None, compare=False, repr=False)
    """The repository manifest (pre/post-processing parameters), when the model came from one."""

    @property
    def checkpoint(self) -> str | None:
        """sha256 of the training checkpoint this export was made from, when its manifest records it."""
        return None if self.manifest is None else self.manifest.provenance.checkpoint_sha256


@dataclass(frozen=True)
class Workload:
    provider: str
    batch: int
    input_s: float
    threads: int
    io_binding: bool = False
    fp16: bool = False

    def parameters(self, target: ModelTarget, engine: str = "onnxruntime") -> dict[str, ParameterValue]:
        return {
            "engine": engine,
            "precision": target.precision,
            "version": target.version,
            "checkpoint": target.checkpoint,
            "provider": self.provider,
            "batch": self.batch,
            "input_s": self.input_s,
            "threads": self.threads,
            "io_binding": self.io_binding,
            "trt_fp16": self.fp16,
        }


def workloads(
    providers: Iterable[str],
    batches: Iterable[int],
    input_lengths_s: Iterable[float],
    threads: int,
    io_binding: bool = False,
) -> list[Workload]:
    return [
        Workload(provider, batch, length, threads, io_binding)
        for provider in providers
        for batch in batches
        for length in input_lengths_s
    ]


def waveform_batch(batch: int, input_s: float, seed: int = 0) -> np.ndarray:
    """Speech-level noise, [batch, samples] float32: dense models cost the same whatever the content."""
    samples = round(input_s * SAMPLE_RATE)
    return (np.random.default_rng(seed).standard_normal((batch, samples)) * 0.1).astype(np.float32)


def waveform_input_name(runner: SessionRunner) -> str:
    """The model's single waveform input ([batch, samples]); the diarization ONNX contract."""
    shapes = runner.input_shapes()
    if len(shapes) != 1 or len(next(iter(shapes.values()))) != 2:
        described = ", ".join(f"{name} {shape}" for name, shape in shapes.items())
        raise ValueError(f"not a waveform model (expects one [batch, samples] input; has {described})")
    return next(iter(shapes))


def run_model_mode(
    targets: Iterable[ModelTarget],
    plan: Iterable[Workload],
    settings: MeasureSettings,
    progress: Callable[[str], None] = lambda _: None,
) -> Iterator[Measurement]:
    """Measure every target under every workload; what cannot run is reported as skipped, with why."""
    plan = list(plan)
    for target in targets:
        for workload in plan:
            progress(
                f"{target.name} {target.precision} {workload.provider} b{workload.batch} {workload.input_s}s"
            )
            yield measure_target(target, workload, settings)


def measure_target(target: ModelTarget, workload: Workload, settings: MeasureSettings) -> Measurement:
    parameters = workload.parameters(target)
    try:
        session = create_runner(
            target.path,
            workload.provider,
            workload.threads,
            io_binding=workload.io_binding,
            fp16=workload.fp16,
        )
        feeds = {waveform_input_name(session): waveform_batch(workload.batch, workload.input_s)}
    except (ProviderError, ValueError) as error:
        return Measurement(
            mode="model", name=target.name, parameters=parameters, status="skipped", reason=str(error)
        )
    result = measure(lambda: session(feeds), settings, items_per_call=workload.batch)
    return window_measurement("model", target.name, parameters, result, workload)


def window_measurement(
    mode: Mode, name: str, parameters: dict[str, ParameterValue], result: Result, workload: Workload
) -> Measurement:
    """A timed waveform workload: latency per call, windows and audio seconds processed per second."""
    return Measurement(
        mode=mode,
        name=name,
        parameters=parameters,
        latency=result.latency,
        throughput_per_s=result.throughput_per_s,
        throughput_unit="windows",
        stability=result.stability,
        figures={"audio_s_per_s": result.throughput_per_s * workload.input_s},
    )
