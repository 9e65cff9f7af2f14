"""What the page shows beside recommendations: the users with a stored history and the titles of items.

Users come from the stored histories the recommendation endpoints hold (`VOXRANK_RECOMMEND_HISTORIES`,
re-read by their RecommendState when the file changes), titles from the synced catalog
(`VOXRANK_WEB_CATALOG`, a data-sync database URL), read once and kept for the life of the process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxrank.serving.recommend.catalog import iter_catalog
from voxrank.serving.recommend.items import UserHistory


class WebSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VOXRANK_WEB_", extra="ignore")

    catalog: str | None = Field(
        default=None,
        description="Database URL of the synced catalog; the page shows its titles beside recommendations.",
    )


@dataclass(frozen=True)
class KnownUser:
    user_id: str
    interactions: int


def known_users(histories: Mapping[str, UserHistory]) -> list[KnownUser]:
    """Every user with a stored history, most active first."""
    users = [KnownUser(user_id, len(history.interactions)) for user_id, history in histories.items()]
    return sorted(users, key=lambda user: (-user.interactions, user.user_id))


@lru_cache(maxsize=2)
def catalog_titles(database_url: str) -> dict[str, str]:
    """Item id to title for every titled item of the catalog."""
    return {item.item_id: item.title for batch in iter_catalog(database_url) for item in batch if item.title}
