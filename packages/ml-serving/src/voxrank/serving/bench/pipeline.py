"""`pipeline` mode: real-time factor of full diarization over long synthetic recordings, on a set of cores.

The pipeline is `voxrank.serving.diarization`'s, fed by the serving runtime's ONNX segmenter: the
code the server runs. Model inference (segmentation of every window) and the rest of pipeline
processing (clustering and aggregation into turns) are timed separately and together.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

from voxrank.serving.bench.model import ModelTarget
from voxrank.serving.bench.providers import create_runner
from voxrank.serving.bench.schema import Measurement
from voxrank.serving.bench.synthetic import Conversation, synthetic_conversation
from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig
from voxrank.serving.runtime.segmenter import OnnxSegmenter

WARMUP_S = 30.0


@contextmanager
def pinned_to(cores: int) -> Iterator[list[int]]:
    """Restrict this process (and the threads it starts) to its first `cores` allowed CPUs."""
    if not hasattr(os, "sched_setaffinity"):
        yield []
        return
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[: max(1, cores)]
    os.sched_setaffinity(0, chosen)
    try:
        yield chosen
    finally:
        os.sched_setaffinity(0, allowed)


def build_pipeline(target: ModelTarget, config: PipelineConfig, threads: int) -> DiarizationPipeline:
    segmenter = OnnxSegmenter(create_runner(target.path, "cpu", threads), config.window_samples)
    return DiarizationPipeline(segmenter, config)


@lru_cache(maxsize=4)
def recording(minutes: float, seed: int) -> Conversation:
    """Kept between models: an hour of audio takes longer to synthesise than to diarize."""
    return synthetic_conversation(minutes * 60, seed=seed)


def pipeline_config(target: ModelTarget) -> PipelineConfig:
    """The manifest's windowing and thresholds, or the pipeline defaults for a bare ONNX file."""
    return PipelineConfig.from_manifest(target.manifest) if target.manifest is not None else PipelineConfig()


def time_pipeline(pipeline: DiarizationPipeline, minutes: float, seed: int = 0) -> dict[str, float]:
    """Wall times of one full diarization of a `minutes`-long synthetic conversation."""
    conversation = recording(minutes, seed)
    start = time.perf_counter()
    local = pipeline.segment(conversation.waveform)
    segmented = time.perf_counter()
    diarization = pipeline.diarize_segmentation(local, len(conversation.waveform))
    end = time.perf_counter()
    return {
        "audio_s": conversation.duration_s,
        "wall_s": end - start,
        "inference_s": segmented - start,
        "postprocessing_s": end - segmented,
        "rtf": (end - start) / conversation.duration_s,
        "windows": float(len(local.starts)),
        "turns": float(len(diarization.turns)),
        "speakers": float(len(diarization.speakers)),
    }


def run_pipeline_mode(
    targets: Iterable[ModelTarget],
    minutes: Sequence[float],
    cores: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> Iterator[Measurement]:
    """RTF of every target at every recording length, pinned to `cores` CPUs with as many threads."""
    for target in targets:
        config = pipeline_config(target)
        with pinned_to(cores) as pinned:
            pipeline = build_pipeline(target, config, threads=cores)
            time_pipeline(pipeline, WARMUP_S / 60, seed=1)  # first-call allocations stay out of the figures
            for length in minutes:
                progress(f"{target.name} {target.precision}: {length} min")
                figures = time_pipeline(pipeline, length)
                yield Measurement(
                    mode="pipeline",
                    name=target.name,
                    parameters={
                        "engine": "onnxruntime",
                        "precision": target.precision,
                        "version": target.version,
                        "provider": "cpu",
                        "audio_min": length,
                        "cores": cores,
                        "pinned_cpus": ",".join(map(str, pinned)) or None,
                        "window_s": config.window_s,
                        "step_s": config.step_s,
                        "batch": config.batch_size,
                    },
                    throughput_per_s=figures["audio_s"] / figures["wall_s"],
                    throughput_unit="audio seconds",
                    figures=figures,
                )
