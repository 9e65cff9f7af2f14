"""Diarize a file without a server, through the same validated model load and pipeline the API uses."""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.audio import load_audio
from voxrank.serving.diarization import Diarization, DiarizationPipeline, PipelineConfig
from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.manager import session_config
from voxrank.serving.models.validation import load_validated
from voxrank.serving.repository import ModelRepository
from voxrank.serving.runtime.segmenter import OnnxSegmenter
from voxrank.serving.settings import ServingSettings


def load_model(settings: ServingSettings, name: str, spec: str = "latest") -> LoadedModel:
    """The version of `name` that `spec` selects, checked and warmed exactly as the server would."""
    candidate = ModelRepository(settings.model_repository).resolve(name, spec)
    return load_validated(candidate, session_config(settings), settings.warmup_runs)


def diarize_file(
    audio: Path,
    model: LoadedModel,
    num_speakers: int | None = None,
    min_speakers: int | None = None,
    max_speakers: int | None = None,
) -> Diarization:
    config = PipelineConfig.from_manifest(model.manifest)
    pipeline = DiarizationPipeline(OnnxSegmenter(model.runner, config.window_samples), config)
    return pipeline(load_audio(audio), num_speakers, min_speakers, max_speakers)
