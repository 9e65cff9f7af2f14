"""Reference tables (genres, makers, series, authors, actresses) from FloorList and the search APIs.

Items name only the entities they link to; the searches list every entity of a floor, so the
reference tables also hold names no synced item uses yet.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Engine, Table

from voxrank.datasync.client import DmmClient
from voxrank.datasync.models import ReferenceEntry
from voxrank.datasync.planner import Scope
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.upsert import upsert

FLOOR_SEARCHES = {
    "genre": schema.genres,
    "maker": schema.makers,
    "series": schema.series,
    "author": schema.people,
}
SEARCH_PAGE = {"genre": 500, "maker": 500, "series": 500, "author": 500, "actress": 100}


async def floor_ids(client: DmmClient, scope: Scope) -> list[str]:
    floors = await client.floor_list()
    return [
        floor.id
        for site in floors.site
        if site.code == scope.site
        for service in site.service
        if scope.service in (None, service.code)
        for floor in service.floor
        if scope.floor in (None, floor.code)
    ]


async def _all_entries(client: DmmClient, kind: str, floor_id: str | None) -> list[ReferenceEntry]:
    entries: list[ReferenceEntry] = []
    offset = 1
    while True:
        result, page = await client.search(kind, floor_id=floor_id, hits=SEARCH_PAGE[kind], offset=offset)
        entries.extend(page)
        offset += len(page)
        if not page or offset > result.total_count:
            return entries


def _store(engine: Engine, table: Table, kind: str, entries: list[ReferenceEntry]) -> None:
    unique = sorted({entry.id: entry for entry in entries}.values(), key=lambda entry: entry.id)
    with engine.begin() as connection:
        if table is schema.people:
            rows = [(kind, e.id, e.name, e.ruby or None) for e in unique]
            upsert(connection, table, ("role", "id", "name", "ruby"), rows, ["role", "id"])
        else:
            upsert(connection, table, ("id", "name"), [(e.id, e.name) for e in unique], ["id"])


async def sync_reference_tables(engine: Engine, client: DmmClient, scope: Scope) -> Counter[str]:
    """Fill the reference tables for the floors of `scope`; returns the entries stored per kind."""
    stored: Counter[str] = Counter()
    for floor_id in await floor_ids(client, scope):
        for kind, table in FLOOR_SEARCHES.items():
            entries = await _all_entries(client, kind, floor_id)
            _store(engine, table, kind, entries)
            stored[kind] += len(entries)
    actresses = await _all_entries(client, "actress", None)
    _store(engine, schema.people, "actress", actresses)
    stored["actress"] += len(actresses)
    return stored
