"""Settings from the environment or a `.env` file (prefix VOXRANK_)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_API_BASE_URL = "https://api.dmm.com/affiliate/v3"
OFFSET_CAP = 50_000


class SyncSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXRANK_", env_file=".env", extra="ignore")

    dmm_api_id: SecretStr | None = None
    dmm_affiliate_id: str | None = None
    database_url: str = "sqlite:///voxrank-catalog.sqlite"
    api_base_url: str = DEFAULT_API_BASE_URL
    rate_limit: float = Field(default=5.0, gt=0, description="requests per second, retries included")
    concurrency: int = Field(default=4, ge=1, le=64)
    timeout_s: float = Field(default=15.0, gt=0)
    max_attempts: int = Field(default=6, ge=1)
    offset_cap: int = Field(default=OFFSET_CAP, ge=1)
    hits: int = Field(default=100, ge=1, le=100)
