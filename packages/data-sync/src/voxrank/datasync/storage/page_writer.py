"""Write one fetched page and its checkpoint in a single transaction.

Upserts are keyed by content_id, so writing a page twice (a retried page, an item repeated across a
page boundary, a resumed run) leaves the same database as writing it once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, select, update

from voxrank.datasync.models import Item, RejectedItem
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.item_rows import PageRows, page_rows
from voxrank.datasync.storage.upsert import insert_ignoring_duplicates, upsert


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class PageLocation:
    run_id: int
    partition_id: int
    page_offset: int


@dataclass(frozen=True)
class PageOutcome:
    written: int
    quarantined: int
    partition_done: bool


class PageWriter:
    """Writes pages; remembers which reference names it has stored to skip rewriting unchanged ones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._known_entities: dict[tuple[str, str], Any] = {}

    def write(
        self,
        location: PageLocation,
        accepted: list[tuple[Item, dict[str, Any]]],
        rejected: list[RejectedItem],
    ) -> PageOutcome:
        now = utcnow()
        rows = page_rows(accepted, location.run_id, now)
        pending_cache: dict[tuple[str, str], Any] = {}
        with self.engine.begin() as connection:
            self._write_items(connection, rows, pending_cache)
            _write_quarantine(connection, location, rejected, now)
            done = _commit_checkpoint(connection, location, len(accepted) + len(rejected), now)
        # Only after the commit: a rolled-back page must not leave names the database never got.
        self._known_entities.update(pending_cache)
        return PageOutcome(written=len(accepted), quarantined=len(rejected), partition_done=done)

    def _write_items(
        self, connection: Connection, rows: PageRows, pending_cache: dict[tuple[str, str], Any]
    ) -> None:
        if not rows.content_ids:
            return
        upsert(connection, schema.items, rows.items, ["content_id"])
        ids = rows.content_ids
        for table in (schema.review_summaries, schema.prices, schema.item_people):
            connection.execute(delete(table).where(table.c.content_id.in_(ids)))
        if rows.reviews:
            connection.execute(schema.review_summaries.insert(), rows.reviews)
        if rows.prices:
            connection.execute(schema.prices.insert(), rows.prices)
        for kind, (entity_table, link_table, column) in schema.ENTITY_LINKS.items():
            fresh = self._fresh(kind, rows.entities[kind].items(), pending_cache)
            upsert(connection, entity_table, [{"id": key, "name": name} for key, name in fresh], ["id"])
            connection.execute(delete(link_table).where(link_table.c.content_id.in_(ids)))
            links = [{"content_id": cid, column: eid} for cid, eid in sorted(rows.links[kind])]
            if links:
                connection.execute(link_table.insert(), links)
        fresh_people = self._fresh("person", rows.people.items(), pending_cache)
        upsert(
            connection,
            schema.people,
            [
                {"role": role, "id": pid, "name": name, "ruby": ruby}
                for (role, pid), (name, ruby) in fresh_people
            ],
            ["role", "id"],
        )
        people_links = [{"content_id": c, "role": r, "person_id": p} for c, r, p in sorted(rows.people_links)]
        if people_links:
            connection.execute(schema.item_people.insert(), people_links)
        upsert(connection, schema.item_payloads, rows.payloads, ["content_id"])

    def _fresh(self, kind: str, entries: Any, pending_cache: dict[tuple[str, str], Any]) -> list[Any]:
        fresh = []
        for key, value in sorted(entries, key=lambda entry: str(entry[0])):
            cache_key = (kind, str(key))
            if self._known_entities.get(cache_key, _MISSING) != value:
                fresh.append((key, value))
                pending_cache[cache_key] = value
        return fresh


_MISSING = object()


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


def _commit_checkpoint(
    connection: Connection, location: PageLocation, item_count: int, now: datetime
) -> bool:
    """Record the page as done; mark the partition done when it was its last missing page."""
    insert_ignoring_duplicates(
        connection,
        schema.checkpoints,
        [
            {
                "partition_id": location.partition_id,
                "page_offset": location.page_offset,
                "item_count": item_count,
                "committed_at": now,
            }
        ],
    )
    partitions = schema.partitions
    committed = connection.execute(
        select(func.count()).where(schema.checkpoints.c.partition_id == location.partition_id)
    ).scalar_one()
    page_count = connection.execute(
        select(partitions.c.page_count).where(partitions.c.id == location.partition_id)
    ).scalar_one()
    done = committed >= page_count
    values: dict[str, Any] = {"heartbeat_at": now}
    if done:
        values.update(status="done", completed_at=now)
    connection.execute(update(partitions).where(partitions.c.id == location.partition_id).values(**values))
    return done
