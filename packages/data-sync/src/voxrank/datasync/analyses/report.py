"""`report`: rows against API totals per partition, duplicates, null rate per field, freshness."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from matplotlib.figure import Figure
from sqlalchemy import Engine, and_, func, select

from voxrank.datasync.analyses.output import Analysis, markdown_table
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.page_writer import utcnow

NULLABLE_FIELDS = (
    "product_id", "title", "service_code", "floor_code", "volume", "url", "affiliate_url", "image_url",
    "release_date", "price", "list_price",
)  # fmt: skip


def partition_rows(engine: Engine, run_id: int) -> list[dict[str, Any]]:
    """Each partition of `run_id`: rows held in its window plus records quarantined from it, against the
    API's total."""
    partitions, items = schema.partitions, schema.items
    rows = func.count(items.c.content_id)
    query = (
        select(
            partitions.c.id,
            partitions.c.gte_date,
            partitions.c.lte_date,
            partitions.c.total_count,
            partitions.c.status,
            rows,
        )
        .select_from(
            partitions.outerjoin(
                items,
                and_(
                    items.c.release_date >= partitions.c.gte_date,
                    items.c.release_date <= partitions.c.lte_date,
                ),
            )
        )
        .where(partitions.c.run_id == run_id)
        .group_by(partitions.c.id)
        .order_by(partitions.c.gte_date)
    )
    quarantine = schema.quarantine
    quarantined_query = (
        select(quarantine.c.partition_id, func.count(func.distinct(quarantine.c.content_id)))
        .where(quarantine.c.run_id == run_id)
        .group_by(quarantine.c.partition_id)
    )
    with engine.connect() as connection:
        quarantined = {partition_id: count for partition_id, count in connection.execute(quarantined_query)}
        return [
            {
                "partition": row.id,
                "window": f"{row.gte_date} .. {row.lte_date}",
                "api_total": row.total_count,
                "rows": row[5],
                "quarantined": quarantined.get(row.id, 0),
                "difference": row[5] + quarantined.get(row.id, 0) - row.total_count,
                "status": row.status,
            }
            for row in connection.execute(query)
        ]


def null_rates(engine: Engine) -> dict[str, float]:
    items = schema.items
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(items)).scalar_one()
        if not total:
            return {}
        counts = connection.execute(select(*(func.count(items.c[name]) for name in NULLABLE_FIELDS))).one()
    return {
        name: round(1 - present / total, 6) for name, present in zip(NULLABLE_FIELDS, counts, strict=True)
    }


def duplicates(engine: Engine, run_id: int | None) -> dict[str, int]:
    """Items delivered more than once (summed page sizes minus distinct rows) and shared product ids."""
    items, checkpoints, partitions = schema.items, schema.checkpoints, schema.partitions
    with engine.connect() as connection:
        distinct = connection.execute(select(func.count()).select_from(items)).scalar_one()
        delivered = 0
        if run_id is not None:
            delivered = connection.execute(
                select(func.coalesce(func.sum(checkpoints.c.item_count), 0))
                .select_from(checkpoints.join(partitions, partitions.c.id == checkpoints.c.partition_id))
                .where(partitions.c.run_id == run_id)
            ).scalar_one()
        shared = (
            select(items.c.product_id).where(items.c.product_id.is_not(None)).group_by(items.c.product_id)
            .having(func.count() > 1).subquery()
        )  # fmt: skip
        shared_product_ids = connection.execute(select(func.count()).select_from(shared)).scalar_one()
    return {
        "rows": int(distinct),
        "delivered_in_last_run": int(delivered),
        "redelivered_in_last_run": max(int(delivered) - int(distinct), 0) if run_id is not None else 0,
        "product_ids_shared_by_several_rows": int(shared_product_ids),
    }


def freshness(engine: Engine) -> dict[str, Any]:
    items, runs = schema.items, schema.sync_runs
    with engine.connect() as connection:
        newest_item, last_fetch = connection.execute(
            select(func.max(items.c.release_date), func.max(items.c.fetched_at))
        ).one()
        last_done = connection.execute(
            select(func.max(runs.c.finished_at)).where(runs.c.status == "done")
        ).scalar_one()
    now = utcnow()
    return {
        "newest_release_date": newest_item,
        "last_fetched_at_utc": last_fetch,
        "last_finished_sync_utc": last_done,
        "hours_since_last_finished_sync": round((now - last_done).total_seconds() / 3600, 2)
        if last_done
        else None,
    }


def _latest_run_id(engine: Engine) -> int | None:
    runs = schema.sync_runs
    with engine.connect() as connection:
        return connection.execute(select(func.max(runs.c.id)).where(runs.c.mode == "full")).scalar_one()


def _figure(partitions: list[dict[str, Any]], nulls: dict[str, float]) -> Figure:
    figure = Figure(figsize=(10, 4))
    left, right = figure.subplots(1, 2)
    labels = [str(row["partition"]) for row in partitions]
    left.bar(labels, [row["api_total"] for row in partitions], label="API total", alpha=0.5)
    left.plot(labels, [row["rows"] for row in partitions], "o", color="black", label="rows")
    left.set(title="Rows vs API totals per partition", xlabel="partition")
    left.legend()
    right.barh(list(nulls), [100 * rate for rate in nulls.values()])
    right.set(title="Null rate per field (%)")
    figure.tight_layout()
    return figure


def build_report(engine: Engine) -> Analysis:
    run_id = _latest_run_id(engine)
    partitions = partition_rows(engine, run_id) if run_id is not None else []
    nulls = null_rates(engine)
    dupes = duplicates(engine, run_id)
    fresh = freshness(engine)
    mismatched = [row for row in partitions if row["difference"]]
    data = {
        "run_id": run_id,
        "partitions": partitions,
        "null_rates": nulls,
        "duplicates": dupes,
        "freshness": fresh,
    }
    markdown = f"# Catalog report (run {run_id}, {datetime.now():%Y-%m-%d %H:%M})\n\n"
    markdown += "## Rows vs API totals per partition\n\n"
    markdown += f"{len(mismatched)} of {len(partitions)} partitions differ.\n\n"
    markdown += markdown_table(
        ["partition", "window", "API total", "rows", "difference", "status"],
        [list(row.values()) for row in partitions],
    )
    markdown += "\n## Duplicates\n\n" + markdown_table(
        ["measure", "value"], [[k, v] for k, v in dupes.items()]
    )
    markdown += "\n## Null rate per field\n\n" + markdown_table(
        ["field", "null rate"], [[name, f"{rate:.2%}"] for name, rate in nulls.items()]
    )
    markdown += "\n## Freshness\n\n" + markdown_table(
        ["measure", "value"], [[k, v] for k, v in fresh.items()]
    )
    return Analysis("report", data, markdown, {"overview": _figure(partitions, nulls)})
