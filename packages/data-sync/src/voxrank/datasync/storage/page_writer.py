"""Write fetched pages, each with its checkpoint, in single transactions.

Upserts are keyed by content_id, so writing a page twice (a retried page, an item repeated across a
page boundary, a resumed run) leaves the same database as writing it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, func, select, update

from voxrank.datasync.models import RejectedItem, validate_items
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.item_rows import (
    ITEM_COLUMNS,
    PAYLOAD_COLUMNS,
    PRICE_COLUMNS,
    REVIEW_COLUMNS,
    PageRows,
    merge_page_rows,
    page_rows,
)
from voxrank.datasync.storage.upsert import insert_ignoring_duplicates, insert_rows, upsert


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PageLocation:
    run_id: int
    partition_id: int
    page_offset: int


@dataclass(frozen=True)
class FetchedPage:
    """A page made ready to write: the rows of its valid items for every table, and its records
    that failed validation (for the quarantine)."""

    location: PageLocation
    rows: PageRows
    rejected: list[RejectedItem]

    @classmethod
    def from_raw(cls, location: PageLocation, raw_items: list[Any]) -> FetchedPage:
        """Validate a page's raw items and turn the valid ones into rows; each keeps its raw JSON
        as text for item_payloads."""
        accepted, rejected = validate_items(raw_items)
        payloads = [(item, orjson.dumps(raw).decode()) for item, raw in accepted]
        return cls(location, page_rows(payloads, location.run_id, utcnow()), rejected)

    @property
    def item_count(self) -> int:
        """Distinct valid items plus rejected records, as the page's checkpoint counts them."""
        return len(self.rows.content_ids) + len(self.rejected)


@dataclass(frozen=True)
class BatchOutcome:
    written: int
    quarantined: int
    finished_partitions: frozenset[int]
    page_items: tuple[int, ...]
    """Items (written and quarantined) of each page, in the order written."""


class PageWriter:
    """Writes pages; remembers which reference names it has stored to skip rewriting unchanged ones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known_entities: dict[tuple[str, str], Any] = {}

    def write(self, pages: list[FetchedPage]) -> BatchOutcome:
        """Write `pages` and their checkpoints in one transaction (a group commit: when pages arrive
        faster than one commit takes, they share it; each page's rows and checkpoint stay atomic)."""
        now = utcnow()
        rows = merge_page_rows([page.rows for page in pages])
        pending_cache: dict[tuple[str, str], Any] = {}
        with self.engine.begin() as connection:
            self._write_items(connection, rows, pending_cache)
            for page in pages:
                _write_quarantine(connection, page.location, page.rejected, now)
            finished = _commit_checkpoints(connection, pages, now)
        # Only after the commit: a rolled-back page must not leave names the database never got.
        self._known_entities.update(pending_cache)
        return BatchOutcome(
            written=sum(len(page.rows.content_ids) for page in pages),
            quarantined=sum(len(page.rejected) for page in pages),
            finished_partitions=frozenset(finished),
            page_items=tuple(page.item_count for page in pages),
        )

    def _write_items(
        self, connection: Connection, rows: PageRows, pending_cache: dict[tuple[str, str], Any]
    ) -> None:
        if not rows.content_ids:
            return
        # The item rows first: on PostgreSQL their row locks order concurrent writers of one item, so
        # the stored payloads read next are those of a committed writer.
        upsert(connection, schema.items, ITEM_COLUMNS, rows.items, ["content_id"])
        changed = _changed_items(connection, rows)
        rows = rows.only(changed.new | changed.replaced)
        if changed.replaced:
            replaced = sorted(changed.replaced)
            for table in (schema.review_summaries, schema.prices, schema.item_people):
                connection.execute(delete(table).where(table.c.content_id.in_(replaced)))
            for _, link_table, _ in schema.ENTITY_LINKS.values():
                connection.execute(delete(link_table).where(link_table.c.content_id.in_(replaced)))
        insert_rows(connection, schema.review_summaries, REVIEW_COLUMNS, rows.reviews)
        insert_rows(connection, schema.prices, PRICE_COLUMNS, rows.prices)
        for kind, (entity_table, link_table, column) in schema.ENTITY_LINKS.items():
            fresh = self._fresh(kind, rows.entities[kind].items(), pending_cache)
            upsert(connection, entity_table, ("id", "name"), fresh, ["id"])
            insert_rows(connection, link_table, ("content_id", column), sorted(rows.links[kind]))
        fresh_people = self._fresh("person", rows.people.items(), pending_cache)
        upsert(
            connection,
            schema.people,
            ("role", "id", "name", "ruby"),
            [(role, pid, name, ruby) for (role, pid), (name, ruby) in fresh_people],
            ["role", "id"],
        )
        people_columns = ("content_id", "role", "person_id")
        insert_rows(connection, schema.item_people, people_columns, sorted(rows.people_links))
        upsert(connection, schema.item_payloads, PAYLOAD_COLUMNS, rows.payloads, ["content_id"])

    def _fresh(self, kind: str, entries: Any, pending_cache: dict[tuple[str, str], Any]) -> list[Any]:
        known = self._known_entities
        fresh = [(key, value) for key, value in entries if known.get((kind, str(key)), _MISSING) != value]
        for key, value in fresh:
            pending_cache[(kind, str(key))] = value
        # Sorted after filtering: once the names are known, few are left to sort.
        return sorted(fresh, key=lambda entry: str(entry[0]))


_MISSING = object()


@dataclass(frozen=True)
class _ChangedItems:
    new: set[str]
    replaced: set[str]
    """Stored before with another payload: their prices, reviews and links are replaced."""


def _changed_items(connection: Connection, rows: PageRows) -> _ChangedItems:
    """Which items of `rows` are new and which changed, by their stored raw payload; an item whose
    payload is unchanged keeps its rows (a resumed or re-run page rewrites nothing but the item row)."""
    payloads = schema.item_payloads
    query = select(payloads.c.content_id, payloads.c.payload).where(
        payloads.c.content_id.in_(rows.content_ids)
    )
    stored = {content_id: payload for content_id, payload in connection.execute(query)}
    new = {content_id for content_id, _, _ in rows.payloads if content_id not in stored}
    replaced = {
        content_id
        for content_id, payload, _ in rows.payloads
        if content_id in stored and stored[content_id] != payload
    }
    return _ChangedItems(new, replaced)


def _write_quarantine(
    connection: Connection, location: PageLocation, rejected: list[RejectedItem], now: datetime
) -> None:
    if not rejected:
        return
    connection.execute(
        schema.quarantine.insert(),
        [
            {
                "run_id": location.run_id,
                "partition_id": location.partition_id,
                "page_offset": location.page_offset,
                "content_id": record.content_id,
                "reason": record.reason,
                "payload": json.dumps(record.payload, ensure_ascii=False, default=str),
                "created_at": now,
            }
            for record in rejected
        ],
    )


def _commit_checkpoints(connection: Connection, pages: list[FetchedPage], now: datetime) -> set[int]:
    """Record the pages as done; mark each partition done whose last missing page this was."""
    insert_ignoring_duplicates(
        connection,
        schema.checkpoints,
        ("partition_id", "page_offset", "item_count", "committed_at"),
        sorted(
            (page.location.partition_id, page.location.page_offset, page.item_count, now) for page in pages
        ),
    )
    partitions, checkpoints = schema.partitions, schema.checkpoints
    finished = set()
    for partition_id in sorted({page.location.partition_id for page in pages}):
        committed = connection.execute(
            select(func.count()).where(checkpoints.c.partition_id == partition_id)
        ).scalar_one()
        page_count = connection.execute(
            select(partitions.c.page_count).where(partitions.c.id == partition_id)
        ).scalar_one()
        values: dict[str, Any] = {"heartbeat_at": now}
        if committed >= page_count:
            values.update(status="done", completed_at=now)
            finished.add(partition_id)
        connection.execute(update(partitions).where(partitions.c.id == partition_id).values(**values))
    return finished
