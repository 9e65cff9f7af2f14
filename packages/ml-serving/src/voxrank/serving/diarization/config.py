"""Pipeline parameters; a model's manifest carries the values it was tuned with."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class PipelineConfig(BaseModel):
    """Windowing, binarisation and clustering settings of `DiarizationPipeline`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sample_rate: int = Field(default=16_000, gt=0)
    window_s: float = Field(default=5.0, gt=0)
    step_s: float = Field(default=2.5, gt=0, description="hop between window starts")
    batch_size: int = Field(default=32, ge=1)
    onset: float = Field(default=0.5, gt=0, lt=1, description="activity above which a speaker turn starts")
    offset: float = Field(default=0.4, gt=0, lt=1, description="activity below which a speaker turn ends")
    min_duration_on: float = Field(default=0.0, ge=0, description="turns shorter than this (s) are dropped")
    min_duration_off: float = Field(default=0.1, ge=0, description="gaps shorter than this (s) are filled")
    min_local_speech_s: float = Field(
        default=0.3, ge=0, description="a local speaker needs this much speech in a window to be clustered"
    )
    clustering_threshold: float = Field(
        default=0.6, gt=0, le=2, description="average-linkage cosine distance that stops merging"
    )

    @model_validator(mode="after")
    def _check(self) -> PipelineConfig:
        if self.offset > self.onset:
            raise ValueError(f"offset ({self.offset}) must not exceed onset ({self.onset})")
        if self.step_s > self.window_s:
            raise ValueError(f"step_s ({self.step_s}) must not exceed window_s ({self.window_s})")
        return self

    @property
    def window_samples(self) -> int:
        return round(self.window_s * self.sample_rate)

    @property
    def step_samples(self) -> int:
        return round(self.step_s * self.sample_rate)

    @classmethod
    def from_manifest(cls, manifest: Any, **overrides: Any) -> PipelineConfig:
        """Read known fields from a manifest's `preprocessing` and `postprocessing` (object or dict)."""
        values: dict[str, Any] = {}
        for section in ("preprocessing", "postprocessing"):
            params = manifest.get(section) if isinstance(manifest, Mapping) else getattr(manifest, section)
            values.update({key: value for key, value in (params or {}).items() if key in cls.model_fields})
        return cls(**{**values, **overrides})
