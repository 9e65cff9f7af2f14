"""Settings of the recommendation endpoints, read from `VOXRANK_RECOMMEND_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RecommendSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXRANK_RECOMMEND_", extra="ignore")

    user_model: str = Field(default="two-tower-user", description="Repository name of the user tower.")
    item_model: str = Field(default="two-tower-item", description="Repository name of the item tower.")
    store: str = Field(
        default="exact:item-index.npz",
        description="Vector store: exact:PATH, hnsw:PATH or postgresql://...[#TABLE] (see index build).",
    )
    histories: Path | None = Field(
        default=None, description="Interaction log (.csv/.parquet) that recommendations by user id read."
    )
    max_batch: int = Field(default=256, ge=1, description="Most users or items per embedding request.")
    max_history: int = Field(default=10_000, ge=1, description="Most history items per user in a request.")
