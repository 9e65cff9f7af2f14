"""The catalog schema as SQLAlchemy Core tables; alembic migrations create and evolve it.

Entity ids are stored as text because the API mixes numbers with strings (a maker id can be "other").
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

ENTITY_ID = String(64)
CONTENT_ID = String(128)

items = Table(
    "items",
    metadata,
    Column("content_id", CONTENT_ID, primary_key=True),
    Column("product_id", String(128)),
    Column("title", Text),
    Column("service_code", String(32)),
    Column("service_name", String(128)),
    Column("floor_code", String(32)),
    Column("floor_name", String(128)),
    Column("category_name", String(128)),
    Column("volume", String(64)),
    Column("url", Text),
    Column("affiliate_url", Text),
    Column("image_url", Text),
    Column("release_date", DateTime),
    Column("price", Float),
    Column("price_text", String(64)),
    Column("list_price", Float),
    Column("run_id", Integer),
    Column("fetched_at", DateTime, nullable=False),
    Index("ix_items_release_date", "release_date"),
    Index("ix_items_product_id", "product_id"),
)

review_summaries = Table(
    "review_summaries",
    metadata,
    Column("content_id", CONTENT_ID, ForeignKey("items.content_id", ondelete="CASCADE"), primary_key=True),
    Column("review_count", Integer, nullable=False),
    Column("review_average", Float),
)

prices = Table(
    "prices",
    metadata,
    Column("content_id", CONTENT_ID, ForeignKey("items.content_id", ondelete="CASCADE"), primary_key=True),
    Column("delivery_type", String(64), primary_key=True),
    Column("price", Float),
    Column("list_price", Float),
)


def _entity_table(name: str) -> Table:
    return Table(name, metadata, Column("id", ENTITY_ID, primary_key=True), Column("name", Text))


def _link_table(name: str, entity: Table, entity_column: str) -> Table:
    return Table(
        name,
        metadata,
        Column(
            "content_id", CONTENT_ID, ForeignKey("items.content_id", ondelete="CASCADE"), primary_key=True
        ),
        Column(entity_column, ENTITY_ID, ForeignKey(f"{entity.name}.id"), primary_key=True),
        Index(f"ix_{name}_{entity_column}", entity_column),
    )


genres = _entity_table("genres")
makers = _entity_table("makers")
series = _entity_table("series")
labels = _entity_table("labels")

item_genres = _link_table("item_genres", genres, "genre_id")
item_makers = _link_table("item_makers", makers, "maker_id")
item_series = _link_table("item_series", series, "series_id")
item_labels = _link_table("item_labels", labels, "label_id")

PEOPLE_ROLES = ("actress", "actor", "director", "author")

people = Table(
    "people",
    metadata,
    Column("role", String(16), primary_key=True),
    Column("id", ENTITY_ID, primary_key=True),
    Column("name", Text),
    Column("ruby", Text),
)

item_people = Table(
    "item_people",
    metadata,
    Column("content_id", CONTENT_ID, ForeignKey("items.content_id", ondelete="CASCADE"), primary_key=True),
    Column("role", String(16), primary_key=True),
    Column("person_id", ENTITY_ID, primary_key=True),
    Index("ix_item_people_person", "role", "person_id"),
)

item_payloads = Table(
    "item_payloads",
    metadata,
    Column("content_id", CONTENT_ID, ForeignKey("items.content_id", ondelete="CASCADE"), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("fetched_at", DateTime, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(256), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("lower_bound", DateTime, nullable=False),
    Column("upper_bound", DateTime, nullable=False),
    Column("hits", Integer, nullable=False),
    Column("offset_cap", Integer, nullable=False),
    Column("planned_total", Integer),
    Column("watermark", DateTime),
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Index("ix_sync_runs_scope_status", "scope", "status"),
)

partitions = Table(
    "partitions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer, ForeignKey("sync_runs.id", ondelete="CASCADE"), nullable=False),
    Column("gte_date", DateTime, nullable=False),
    Column("lte_date", DateTime, nullable=False),
    Column("total_count", Integer, nullable=False),
    Column("page_count", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("worker", String(128)),
    Column("heartbeat_at", DateTime),
    Column("completed_at", DateTime),
    UniqueConstraint("run_id", "gte_date", name="uq_partitions_run_window"),
    Index("ix_partitions_run_status", "run_id", "status"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("partition_id", Integer, ForeignKey("partitions.id", ondelete="CASCADE"), primary_key=True),
    Column("page_offset", Integer, primary_key=True),
    Column("item_count", Integer, nullable=False),
    Column("committed_at", DateTime, nullable=False),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", Integer),
    Column("partition_id", Integer),
    Column("page_offset", Integer),
    Column("content_id", CONTENT_ID),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_quarantine_content_id", "content_id"),
)

ENTITY_LINKS = {
    "genre": (genres, item_genres, "genre_id"),
    "maker": (makers, item_makers, "maker_id"),
    "series": (series, item_series, "series_id"),
    "label": (labels, item_labels, "label_id"),
}
