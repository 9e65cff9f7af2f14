"""Training configuration: a TOML file validated by pydantic; unknown keys are errors.

Paths may use `${VOXRANK_SHARED_DATA}`; when unset it points at `<repository>/../shared/data`.
Relative paths are taken from the working directory.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from voxrank.serving.diarization import PipelineConfig
from voxrank.training.diarization.data.corpus import CorpusError, Recording, load_corpus
from voxrank.training.diarization.data.simulator import SimulationConfig
from voxrank.training.diarization.models import ModelConfigError, model_config
from voxrank.training.diarization.teacher import TEACHER_DIM


class ConfigError(ValueError):
    """A configuration file that is missing, not TOML, or not valid."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorpusSplit(Strict):
    """A split of a corpus on disk, optionally narrowed to some of its recordings (`uris`) or without
    some (`exclude`): that is how one split gives both training and held-out tuning recordings."""

    root: Path
    split: str
    uris: list[str] = Field(default_factory=list, description="only these recordings (empty: all)")
    exclude: list[str] = Field(default_factory=list, description="recordings left out")

    def recordings(self) -> list[Recording]:
        recordings = load_corpus(self.root, self.split)
        known = {recording.uri for recording in recordings}
        unknown = sorted((set(self.uris) | set(self.exclude)) - known)
        if unknown:
            raise CorpusError(f"{self.root} / {self.split}: no recordings named {unknown}")
        return [
            recording
            for recording in recordings
            if (not self.uris or recording.uri in self.uris) and recording.uri not in self.exclude
        ]


class DataConfig(Strict):
    window_s: float = Field(default=5.0, gt=0)
    speaker_folders: list[Path] = Field(default_factory=list, description="folders of per-speaker audio")
    synthetic_speakers: int = Field(default=0, ge=0, description="eSpeak NG speakers to synthesise")
    synthetic_utterances: int = Field(default=6, ge=1)
    synthetic_cache: Path = Path(".cache/voxrank/espeak")
    corpora: list[CorpusSplit] = Field(default_factory=list, description="real recordings to train on")
    recording_probability: float = Field(default=0.3, ge=0, le=1)
    heldout_speakers: int = Field(default=0, ge=0, description="speakers kept out of training for validation")


class TrainingConfig(Strict):
    steps: int = Field(default=1000, ge=1)
    batch_size: int = Field(default=32, ge=1, description="per process")
    learning_rate: float = Field(default=2e-3, gt=0)
    weight_decay: float = Field(default=1e-2, ge=0)
    warmup_steps: int = Field(default=100, ge=0)
    embedding_weight: float = Field(default=1.0, ge=0)
    speaker_margin: float = Field(default=0.0, ge=0, lt=1, description="additive cosine margin (CosFace)")
    speaker_scale: float = Field(default=16.0, gt=0, description="scale of the cosine logits")
    distillation_weight: float = Field(
        default=0.0,
        ge=0,
        description="weight of the cosine loss pulling local-speaker embeddings to the teacher's (0: off)",
    )
    min_embedding_frames: int = Field(
        default=25, ge=1, description="frames a slot needs to train its embedding"
    )
    checkpoint_every: int = Field(default=200, ge=1)
    eval_every: int = Field(default=200, ge=1)
    patience: int = Field(
        default=0, ge=0, description="evaluations without dev DER improvement before stopping; 0 never"
    )
    num_workers: int = Field(default=0, ge=0)
    threads: int = Field(default=0, ge=0, description="torch threads per process; 0 leaves torch's default")


class ValidationConfig(Strict):
    conversations: int = Field(default=6, ge=0, description="simulated conversations of held-out speakers")
    duration_s: float = Field(default=30.0, gt=5)
    corpora: list[CorpusSplit] = Field(default_factory=list)
    oracle_num_speakers: bool = True
    thresholds: list[float] = Field(default_factory=lambda: [0.3, 0.4, 0.5, 0.6, 0.7, 0.8])
    onsets: list[float] = Field(
        default_factory=lambda: [0.3, 0.4, 0.5], description="activity thresholds tried"
    )
    offset_gaps: list[float] = Field(
        default_factory=lambda: [0.1], description="offsets tried: onset minus each of these"
    )
    min_durations_off: list[float] = Field(
        default_factory=lambda: [0.1], description="shortest gaps between a speaker's turns tried (s)"
    )


class EvaluationConfig(Strict):
    corpus: CorpusSplit
    oracle_num_speakers: bool = True


class DiarizationConfig(Strict):
    name: str
    output_dir: Path
    seed: int = 0
    model: Literal["fastcnn", "transformer"]
    model_config_values: dict[str, Any] = Field(default_factory=dict, alias="model_config")
    data: DataConfig = Field(default_factory=DataConfig)
    simulation: SimulationConfig = Field(default_factory=SimulationConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    validation: ValidationConfig = Field(default_factory=ValidationConfig)
    pipeline: dict[str, Any] = Field(default_factory=dict, description="PipelineConfig overrides")
    evaluation: EvaluationConfig | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True, protected_namespaces=())

    @field_validator("pipeline")
    @classmethod
    def _pipeline_fields(cls, values: dict[str, Any]) -> dict[str, Any]:
        PipelineConfig(**values)
        return values

    @model_validator(mode="after")
    def _model_fields(self) -> DiarizationConfig:
        try:
            model_config(self.model, self.model_config_values)
        except ModelConfigError as error:
            raise ValueError(str(error)) from error
        if not (self.data.speaker_folders or self.data.synthetic_speakers or self.data.corpora):
            raise ValueError("data needs speaker_folders, synthetic_speakers or corpora")
        embedding_dim = model_config(self.model, self.model_config_values).embedding_dim  # type: ignore[attr-defined]
        if self.training.distillation_weight and embedding_dim != TEACHER_DIM:
            raise ValueError(
                f"distillation needs model_config.embedding_dim = {TEACHER_DIM} (the teacher's), "
                f"got {embedding_dim}"
            )
        return self

    def pipeline_config(self, **overrides: Any) -> PipelineConfig:
        return PipelineConfig(window_s=self.data.window_s, **{**self.pipeline, **overrides})

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


def load_config(path: Path) -> DiarizationConfig:
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    try:
        raw = tomllib.loads(_expand(path.read_text(encoding="utf-8"), path))
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from error
    return parse_config(raw, str(path))


def parse_config(raw: dict[str, Any], where: str = "config") -> DiarizationConfig:
    try:
        return DiarizationConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(top)'}: {e['msg']}" for e in error.errors())
        raise ConfigError(f"{where}: {problems}") from error


def _expand(text: str, path: Path) -> str:
    shared = os.environ.get("VOXRANK_SHARED_DATA") or str(_repository_root(path).parent / "shared" / "data")
    return text.replace("${VOXRANK_SHARED_DATA}", shared)


def _repository_root(path: Path) -> Path:
    for folder in [path.resolve().parent, *path.resolve().parents]:
        if (folder / "noxfile.py").is_file():
            return folder
    return Path.cwd()
