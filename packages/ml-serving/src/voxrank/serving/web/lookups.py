"""What the page shows beside recommendations: the users with a stored history and the titles of items.

Users come from the interaction log the recommendation endpoints read (`VOXRANK_RECOMMEND_HISTORIES`),
titles from the synced catalog (`VOXRANK_WEB_CATALOG`, a data-sync database URL). Each is read once and
kept: the log until its file changes, the catalog for the life of the process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from voxrank.serving.recommend.catalog import iter_catalog
from voxrank.serving.recommend.interactions import group_by_user, read_interactions


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


def known_users(histories: Path) -> list[KnownUser]:
    """Every user in the interaction log, most active first."""
    return _users_in(histories, histories.stat().st_mtime_ns)


@lru_cache(maxsize=2)
def _users_in(histories: Path, modified_ns: int) -> list[KnownUser]:
    users = [
        KnownUser(user_id, len(history.interactions))
        for user_id, history in group_by_user(read_interactions(histories)).items()
    ]
    return sorted(users, key=lambda user: (-user.interactions, user.user_id))


@lru_cache(maxsize=2)
def catalog_titles(database_url: str) -> dict[str, str]:
    """Item id to title for every titled item of the catalog."""
    return {item.item_id: item.title for batch in iter_catalog(database_url) for item in batch if item.title}
