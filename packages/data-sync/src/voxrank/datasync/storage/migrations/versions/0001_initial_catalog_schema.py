"""initial catalog schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 08:08:47.438376
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "genres",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "items",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("product_id", sa.String(length=128), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("service_code", sa.String(length=32), nullable=True),
        sa.Column("service_name", sa.String(length=128), nullable=True),
        sa.Column("floor_code", sa.String(length=32), nullable=True),
        sa.Column("floor_name", sa.String(length=128), nullable=True),
        sa.Column("category_name", sa.String(length=128), nullable=True),
        sa.Column("volume", sa.String(length=64), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("affiliate_url", sa.Text(), nullable=True),
        sa.Column("image_url", sa.Text(), nullable=True),
        sa.Column("release_date", sa.DateTime(), nullable=True),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("price_text", sa.String(length=64), nullable=True),
        sa.Column("list_price", sa.Float(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("content_id"),
    )
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.create_index("ix_items_product_id", ["product_id"], unique=False)
        batch_op.create_index("ix_items_release_date", ["release_date"], unique=False)

    op.create_table(
        "labels",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "makers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "people",
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("ruby", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("role", "id"),
    )
    op.create_table(
        "quarantine",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("partition_id", sa.Integer(), nullable=True),
        sa.Column("page_offset", sa.Integer(), nullable=True),
        sa.Column("content_id", sa.String(length=128), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index("ix_quarantine_content_id", ["content_id"], unique=False)

    op.create_table(
        "series",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "sync_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=256), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("lower_bound", sa.DateTime(), nullable=False),
        sa.Column("upper_bound", sa.DateTime(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("offset_cap", sa.Integer(), nullable=False),
        sa.Column("planned_total", sa.Integer(), nullable=True),
        sa.Column("watermark", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index("ix_sync_runs_scope_status", ["scope", "status"], unique=False)

    op.create_table(
        "item_genres",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("genre_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["genre_id"],
            ["genres.id"],
        ),
        sa.PrimaryKeyConstraint("content_id", "genre_id"),
    )
    with op.batch_alter_table("item_genres", schema=None) as batch_op:
        batch_op.create_index("ix_item_genres_genre_id", ["genre_id"], unique=False)

    op.create_table(
        "item_labels",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("label_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["label_id"],
            ["labels.id"],
        ),
        sa.PrimaryKeyConstraint("content_id", "label_id"),
    )
    with op.batch_alter_table("item_labels", schema=None) as batch_op:
        batch_op.create_index("ix_item_labels_label_id", ["label_id"], unique=False)

    op.create_table(
        "item_makers",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("maker_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["maker_id"],
            ["makers.id"],
        ),
        sa.PrimaryKeyConstraint("content_id", "maker_id"),
    )
    with op.batch_alter_table("item_makers", schema=None) as batch_op:
        batch_op.create_index("ix_item_makers_maker_id", ["maker_id"], unique=False)

    op.create_table(
        "item_payloads",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_id"),
    )
    op.create_table(
        "item_people",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_id", "role", "person_id"),
    )
    with op.batch_alter_table("item_people", schema=None) as batch_op:
        batch_op.create_index("ix_item_people_person", ["role", "person_id"], unique=False)

    op.create_table(
        "item_series",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("series_id", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["series_id"],
            ["series.id"],
        ),
        sa.PrimaryKeyConstraint("content_id", "series_id"),
    )
    with op.batch_alter_table("item_series", schema=None) as batch_op:
        batch_op.create_index("ix_item_series_series_id", ["series_id"], unique=False)

    op.create_table(
        "partitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("gte_date", sa.DateTime(), nullable=False),
        sa.Column("lte_date", sa.DateTime(), nullable=False),
        sa.Column("total_count", sa.Integer(), nullable=False),
        sa.Column("page_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["run_id"], ["sync_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "gte_date", name="uq_partitions_run_window"),
    )
    with op.batch_alter_table("partitions", schema=None) as batch_op:
        batch_op.create_index("ix_partitions_run_status", ["run_id", "status"], unique=False)

    op.create_table(
        "prices",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("delivery_type", sa.String(length=64), nullable=False),
        sa.Column("price", sa.Float(), nullable=True),
        sa.Column("list_price", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_id", "delivery_type"),
    )
    op.create_table(
        "review_summaries",
        sa.Column("content_id", sa.String(length=128), nullable=False),
        sa.Column("review_count", sa.Integer(), nullable=False),
        sa.Column("review_average", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["content_id"], ["items.content_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("content_id"),
    )
    op.create_table(
        "checkpoints",
        sa.Column("partition_id", sa.Integer(), nullable=False),
        sa.Column("page_offset", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.Column("committed_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["partition_id"], ["partitions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("partition_id", "page_offset"),
    )


def downgrade() -> None:
    op.drop_table("checkpoints")
    op.drop_table("review_summaries")
    op.drop_table("prices")
    with op.batch_alter_table("partitions", schema=None) as batch_op:
        batch_op.drop_index("ix_partitions_run_status")

    op.drop_table("partitions")
    with op.batch_alter_table("item_series", schema=None) as batch_op:
        batch_op.drop_index("ix_item_series_series_id")

    op.drop_table("item_series")
    with op.batch_alter_table("item_people", schema=None) as batch_op:
        batch_op.drop_index("ix_item_people_person")

    op.drop_table("item_people")
    op.drop_table("item_payloads")
    with op.batch_alter_table("item_makers", schema=None) as batch_op:
        batch_op.drop_index("ix_item_makers_maker_id")

    op.drop_table("item_makers")
    with op.batch_alter_table("item_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_item_labels_label_id")

    op.drop_table("item_labels")
    with op.batch_alter_table("item_genres", schema=None) as batch_op:
        batch_op.drop_index("ix_item_genres_genre_id")

    op.drop_table("item_genres")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_scope_status")

    op.drop_table("sync_runs")
    op.drop_table("series")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_content_id")

    op.drop_table("quarantine")
    op.drop_table("people")
    op.drop_table("makers")
    op.drop_table("labels")
    with op.batch_alter_table("items", schema=None) as batch_op:
        batch_op.drop_index("ix_items_release_date")
        batch_op.drop_index("ix_items_product_id")

    op.drop_table("items")
    op.drop_table("genres")
