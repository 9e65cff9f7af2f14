"""Export configs of the diarization families (`fastcnn`, `transformer`): contract 2, DER-gated.

The DER gate runs the very pipeline serving runs (ml-serving's `DiarizationPipeline` over the model's
session) on a corpus split in the standard layout, by default ami-debug's dev split from the shared data.
"""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from torch import nn

from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig
from voxrank.serving.runtime.segmenter import OnnxSegmenter
from voxrank.training.diarization.checkpoint import CheckpointError as DiarizationCheckpointError
from voxrank.training.diarization.checkpoint import model_from_checkpoint
from voxrank.training.diarization.data.corpus import CorpusError, Recording, load_corpus
from voxrank.training.diarization.evaluation import EvaluationItem, diarize_items, score
from voxrank.training.export.checkpoint import CheckpointInfo
from voxrank.training.export.config import (
    ExportConfig,
    Feeds,
    Runner,
    TaskMetric,
    TensorAxes,
    register_export_config,
)
from voxrank.training.export.errors import CheckpointError, ExportError

SAMPLE_RATE = 16_000
MAX_DER_DELTA_POINTS = 0.5
CALIBRATION_WINDOWS = 64
VALIDATION_SPLIT = "dev"
CALIBRATION_SPLIT = "train"


def default_data_dir() -> Path | None:
    """ami-debug from $VOXRANK_SHARED_DATA, else from ../shared/data beside the repository, if present."""
    shared = os.environ.get("VOXRANK_SHARED_DATA")
    candidates = [Path(shared)] if shared else []
    candidates += [folder.parent / "shared" / "data" for folder in (Path.cwd(), *Path.cwd().parents)]
    return next(
        (path / "ami-debug" for path in candidates if (path / "ami-debug" / "dev.lst").is_file()), None
    )


class DiarizationExportConfig(ExportConfig):
    task = "diarization"
    inputs = (TensorAxes("waveform", {0: "batch", 1: "samples"}),)
    outputs = (TensorAxes("activity", {0: "batch", 1: "frames"}), TensorAxes("embeddings", {0: "batch"}))
    oracle_num_speakers: ClassVar[bool] = True
    float_modules = ("frontend", "input")

    def __init__(self, checkpoint_path: Path, data_dir: Path | None = None) -> None:
        super().__init__(checkpoint_path, data_dir or default_data_dir())

    def load(self, checkpoint_path: Path) -> tuple[nn.Module, CheckpointInfo]:
        try:
            model, checkpoint = model_from_checkpoint(checkpoint_path, expected_model=self.family)
        except DiarizationCheckpointError as error:
            raise CheckpointError(str(error)) from error
        self.pipeline = PipelineConfig(**checkpoint.get("pipeline", {}))
        self.hop: int = model.hop
        return model, CheckpointInfo.from_checkpoint(checkpoint_path, checkpoint)

    @property
    def window_samples(self) -> int:
        return self.pipeline.window_samples

    def _noise(self, batch: int, samples: int, seed: int) -> np.ndarray:
        # Enough to trace and to time the graph; comparisons use real recordings (`_speech`).
        return (0.1 * np.random.default_rng(seed).standard_normal((batch, samples))).astype(np.float32)

    def _speech(self, batch: int, samples: int, start: int) -> np.ndarray:
        """`batch` consecutive stretches of the validation recordings: the inputs the model will meet."""
        audio = np.concatenate([item.waveform for item in self.validation_items])
        needed = start + batch * samples
        audio = np.tile(audio, needed // len(audio) + 1)[start:needed]
        return audio.reshape(batch, samples).astype(np.float32)

    @cached_property
    def validation_items(self) -> list[EvaluationItem]:
        return [
            EvaluationItem.from_recording(recording)
            for recording in self._recordings(VALIDATION_SPLIT, "the DER gate needs validation recordings")
        ]

    def example_inputs(self) -> Feeds:
        return {"waveform": self._noise(2, self.window_samples, seed=0)}

    def validation_inputs(self) -> list[Feeds]:
        shapes = [
            (1, self.window_samples),
            (4, self.window_samples),
            (2, 3 * SAMPLE_RATE),
            (1, 7 * SAMPLE_RATE + 37),
        ]
        return [
            {"waveform": self._speech(batch, samples, start=index * SAMPLE_RATE)}
            for index, (batch, samples) in enumerate(shapes)
        ]

    def golden_inputs(self) -> Feeds:
        return {"waveform": self._speech(1, SAMPLE_RATE, start=2 * SAMPLE_RATE)}

    def latency_inputs(self) -> Feeds:
        return {"waveform": self._noise(1, self.window_samples, seed=8)}

    def calibration_inputs(self) -> list[Feeds]:
        """Windows of real recordings from the data folder's train split."""
        recordings = self._recordings(
            CALIBRATION_SPLIT,
            f"static int8 of {self.family} needs calibration audio (or --calibration-data FILE.npz)",
        )
        step = self.window_samples // 2
        windows = [
            waveform[start : start + self.window_samples]
            for waveform in (recording.load() for recording in recordings)
            for start in range(0, len(waveform) - self.window_samples + 1, step)
        ]
        chosen = np.random.default_rng(0).permutation(len(windows))[:CALIBRATION_WINDOWS]
        return [
            {"waveform": np.stack([windows[i] for i in chosen[first : first + 8]])}
            for first in range(0, len(chosen), 8)
        ]

    def preprocessing(self) -> dict[str, Any]:
        model_config = self.checkpoint.model_config
        return {
            "sample_rate": self.pipeline.sample_rate,
            "window_s": self.pipeline.window_s,
            "step_s": self.pipeline.step_s,
            "hop": self.hop,
            "frames_per_window": self.window_samples // self.hop,
            "num_speakers": model_config.get("num_speakers", 3),
            "embedding_dim": model_config.get("embedding_dim", 128),
        }

    def postprocessing(self) -> dict[str, Any]:
        return self.pipeline.model_dump(exclude={"sample_rate", "window_s", "step_s", "batch_size"})

    def task_metric(self) -> TaskMetric:
        items = self.validation_items
        return TaskMetric("der", lambda runner: self._der(runner, items), max_delta=MAX_DER_DELTA_POINTS)

    def _recordings(self, split: str, purpose: str) -> list[Recording]:
        if self.data_dir is None:
            raise ExportError(
                f"{purpose}: pass --data DIR, a corpus with a {split} split (e.g. shared data's ami-debug)"
            )
        try:
            return load_corpus(self.data_dir, split)
        except CorpusError as error:
            raise ExportError(f"data folder {self.data_dir}: {error}") from error

    def _der(self, runner: Runner, items: list[EvaluationItem]) -> dict[str, float]:
        pipeline = DiarizationPipeline(OnnxSegmenter(runner, self.window_samples), self.pipeline)  # type: ignore[arg-type]
        overall = score(items, diarize_items(pipeline, items, self.oracle_num_speakers))["overall"]
        return {"der": 100 * overall["collar_0.5"]["der"], "der_collar0": 100 * overall["collar_0"]["der"]}


@register_export_config
class FastCNNExportConfig(DiarizationExportConfig):
    family = "fastcnn"
    repository_name = "diarization-fastcnn"
    quantization = "static"


@register_export_config
class TransformerExportConfig(DiarizationExportConfig):
    family = "transformer"
    repository_name = "diarization-transformer"
    quantization = "dynamic"
