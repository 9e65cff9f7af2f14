"""Read API of the synced catalog for the other packages: items with their features, in batches.

    from voxrank.datasync.catalog import count_items, iter_items
    for batch in iter_items("sqlite:///catalog.db", batch_size=1000):
        ...

Items come in content_id order (keyset pagination, so memory stays flat on any catalog size).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database


@dataclass(frozen=True)
class CatalogItem:
    """One item and the ids of everything it links to (strings: the API mixes "other" with numbers)."""

    content_id: str
    product_id: str | None
    title: str | None
    service_code: str | None
    floor_code: str | None
    genre_ids: tuple[str, ...]
    maker_ids: tuple[str, ...]
    series_ids: tuple[str, ...]
    label_ids: tuple[str, ...]
    actress_ids: tuple[str, ...]
    actor_ids: tuple[str, ...]
    director_ids: tuple[str, ...]
    author_ids: tuple[str, ...]
    price: float | None
    list_price: float | None
    review_count: int
    review_average: float | None
    release_date: datetime | None


def count_items(database_url: str) -> int:
    engine = open_database(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(schema.items)).scalar_one())
    finally:
        engine.dispose()


def iter_items(database_url: str, batch_size: int = 1000) -> Iterator[list[CatalogItem]]:
    """Yield every item as lists of at most `batch_size` CatalogItem."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    engine = open_database(database_url)
    try:
        yield from _batches(engine, batch_size)
    finally:
        engine.dispose()


def _batches(engine: Engine, batch_size: int) -> Iterator[list[CatalogItem]]:
    items, reviews = schema.items, schema.review_summaries
    query = (
        select(
            items.c.content_id,
            items.c.product_id,
            items.c.title,
            items.c.service_code,
            items.c.floor_code,
            items.c.price,
            items.c.list_price,
            items.c.release_date,
            reviews.c.review_count,
            reviews.c.review_average,
        )
        .select_from(items.outerjoin(reviews, reviews.c.content_id == items.c.content_id))
        .order_by(items.c.content_id)
        .limit(batch_size)
    )
    last_id: str | None = None
    while True:
        with engine.connect() as connection:
            page = query if last_id is None else query.where(items.c.content_id > last_id)
            rows = connection.execute(page).all()
            if not rows:
                return
            ids = [row.content_id for row in rows]
            links = _links(connection, ids)
        yield [_catalog_item(row, links) for row in rows]
        last_id = ids[-1]


def _links(connection: Connection, ids: list[str]) -> dict[str, dict[str, list[str]]]:
    """{content_id: {feature name: [ids]}} for the entity link tables and the people roles."""
    found: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for kind, (_, link_table, column) in schema.ENTITY_LINKS.items():
        query = select(link_table.c.content_id, link_table.c[column]).where(link_table.c.content_id.in_(ids))
        for content_id, entity_id in connection.execute(
            query.order_by(link_table.c.content_id, link_table.c[column])
        ):
            found[content_id][kind].append(entity_id)
    people = schema.item_people
    people_query = (
        select(people.c.content_id, people.c.role, people.c.person_id)
        .where(people.c.content_id.in_(ids))
        .order_by(people.c.content_id, people.c.person_id)
    )
    for row in connection.execute(people_query):
        found[row.content_id][row.role].append(row.person_id)
    return found


def _catalog_item(row: Any, links: dict[str, dict[str, list[str]]]) -> CatalogItem:
    linked = links.get(row.content_id, {})

    def ids(kind: str) -> tuple[str, ...]:
        return tuple(linked.get(kind, ()))

    return CatalogItem(
        content_id=row.content_id,
        product_id=row.product_id,
        title=row.title,
        service_code=row.service_code,
        floor_code=row.floor_code,
        genre_ids=ids("genre"),
        maker_ids=ids("maker"),
        series_ids=ids("series"),
        label_ids=ids("label"),
        actress_ids=ids("actress"),
        actor_ids=ids("actor"),
        director_ids=ids("director"),
        author_ids=ids("author"),
        price=row.price,
        list_price=row.list_price,
        review_count=row.review_count or 0,
        review_average=row.review_average,
        release_date=row.release_date,
    )
