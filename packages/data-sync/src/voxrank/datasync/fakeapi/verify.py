"""Compare a synced database with the fake API's catalog: the definition of "the sync is complete"."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import func, select

from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database

COMPARED_FIELDS = ("price", "review_count", "title", "release_date")


@dataclass
class SourceComparison:
    source_count: int
    row_count: int
    distinct_ids: int
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    stale: dict[str, tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=dict)

    @property
    def equal(self) -> bool:
        counts_match = self.row_count == self.distinct_ids == self.source_count
        return counts_match and not (self.missing or self.unexpected or self.stale)

    def describe(self) -> str:
        example = next(iter(self.stale.items()), None)
        return (
            f"source {self.source_count}, rows {self.row_count}, distinct ids {self.distinct_ids}, "
            f"missing {len(self.missing)}, unexpected {len(self.unexpected)}, stale {len(self.stale)}"
            + (f" (e.g. {example})" if example else "")
        )


def source_snapshot(
    base_url: str, site: str = "FANZA", since: str | None = None
) -> dict[str, dict[str, Any]]:
    """{content_id: fields} of every well-formed item of `site` (released at or after `since`, an ISO
    date), as the fake API holds them now."""
    rows = httpx.get(f"{base_url}/_fake/snapshot", timeout=300).json()
    return {
        cid: row
        for cid, row in rows.items()
        if row["site"] == site and (since is None or row["release_date"] >= since)
    }


def stored_rows(database_url: str) -> tuple[dict[str, dict[str, Any]], int]:
    """({content_id: fields}, raw row count) of the items table."""
    engine = open_database(database_url)
    items, reviews = schema.items, schema.review_summaries
    query = select(
        items.c.content_id, items.c.price, items.c.title, items.c.release_date, reviews.c.review_count
    ).select_from(items.outerjoin(reviews, reviews.c.content_id == items.c.content_id))
    try:
        with engine.connect() as connection:
            rows = {
                row.content_id: {
                    "price": row.price,
                    "review_count": row.review_count or 0,
                    "title": row.title,
                    "release_date": row.release_date.isoformat() if row.release_date else None,
                }
                for row in connection.execute(query)
            }
            count = connection.execute(select(func.count()).select_from(items)).scalar_one()
    finally:
        engine.dispose()
    return rows, int(count)


def compare_with_source(
    database_url: str, base_url: str, site: str = "FANZA", since: str | None = None
) -> SourceComparison:
    source = source_snapshot(base_url, site, since)
    stored, row_count = stored_rows(database_url)
    comparison = SourceComparison(source_count=len(source), row_count=row_count, distinct_ids=len(stored))
    comparison.missing = sorted(set(source) - set(stored))
    comparison.unexpected = sorted(set(stored) - set(source))
    for content_id in set(source) & set(stored):
        wanted = {key: source[content_id][key] for key in COMPARED_FIELDS}
        if wanted != stored[content_id]:
            comparison.stale[content_id] = (stored[content_id], wanted)
    return comparison
