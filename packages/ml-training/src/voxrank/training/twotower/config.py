"""The two-tower training configuration, read from a TOML file and validated (unknown keys are errors)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voxrank.training.twotower.simulate import SimulationConfig

Baseline = Literal["popularity", "item-knn", "als"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(Strict):
    source: Literal["online-retail", "interactions", "simulated"] = "online-retail"
    path: Path | None = Field(default=None, description="Online-retail .csv.gz or an interaction log.")
    catalog_url: str | None = Field(default=None, description="Synced catalog database URL.")
    catalog_items: Path | None = Field(default=None, description="Or the catalog as JSON lines (ItemRecord).")
    test_fraction: float = Field(default=0.1, gt=0, lt=1)
    simulation: SimulationConfig = SimulationConfig()


class ModelSection(Strict):
    embedding_dim: int = Field(default=64, ge=4)
    hidden_dim: int = Field(default=256, ge=4)
    output_dim: int = Field(default=768, ge=2)
    share_item_embeddings: bool = True


class FeatureSection(Strict):
    token_buckets: int = Field(default=2**18, ge=16)
    item_buckets: int = Field(default=2**18, ge=16)
    max_history: int = Field(default=50, ge=1)
    history_decay: float = Field(default=0.98, gt=0, le=1)


class TrainSection(Strict):
    epochs: int = Field(default=5, ge=1)
    batch_size: int = Field(default=1024, ge=2)
    learning_rate: float = Field(default=3e-3, gt=0)
    weight_decay: float = Field(default=0.0, ge=0)
    temperature: float = Field(default=0.05, gt=0)
    logq_correction: bool = True
    hard_negatives: int = Field(default=0, ge=0, description="Hardest pool items per user.")
    negative_pool: int = Field(default=512, ge=1)
    seed: int = 0
    threads: int = Field(default=2, ge=1)
    log_every: int = Field(default=20, ge=1)
    checkpoint_every: int = Field(default=200, ge=1)


class EvaluationSection(Strict):
    ks: list[int] = [10, 50]
    baselines: list[Baseline] = ["popularity", "item-knn", "als"]


class TwoTowerTrainingConfig(Strict):
    output_dir: Path = Path("runs/twotower")
    data: DataConfig = DataConfig()
    features: FeatureSection = FeatureSection()
    model: ModelSection = ModelSection()
    train: TrainSection = TrainSection()
    evaluation: EvaluationSection = EvaluationSection()


class ConfigError(ValueError):
    """The configuration file is missing, not TOML, or does not match the schema."""


def load_config(path: Path, overrides: dict[str, Any] | None = None) -> TwoTowerTrainingConfig:
    """Read `path`; relative paths inside it stay relative to the working directory."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ConfigError(f"config file {path} does not exist") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from error
    raw.update(overrides or {})
    try:
        return TwoTowerTrainingConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(f"{path} does not match the two-tower config schema:\n{error}") from error
