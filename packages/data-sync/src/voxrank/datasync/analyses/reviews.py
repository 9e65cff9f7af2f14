"""`reviews`: review counts and averages against release dates, month by month."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from sqlalchemy import Engine, select

from voxrank.datasync.analyses.output import Analysis, markdown_table
from voxrank.datasync.storage import schema


def monthly_reviews(engine: Engine) -> list[dict[str, Any]]:
    """Per release month: items, share reviewed, mean review count and mean average of reviewed items."""
    items, reviews = schema.items, schema.review_summaries
    query = select(items.c.release_date, reviews.c.review_count, reviews.c.review_average).select_from(
        items.outerjoin(reviews, reviews.c.content_id == items.c.content_id)
    )
    months: dict[str, list[tuple[int, float | None]]] = {}
    with engine.connect() as connection:
        for released, count, average in connection.execute(query.where(items.c.release_date.is_not(None))):
            months.setdefault(f"{released:%Y-%m}", []).append((count or 0, average))
    rows = []
    for month in sorted(months):
        entries = months[month]
        reviewed = [(count, average) for count, average in entries if count]
        averages = [average for _, average in reviewed if average is not None]
        rows.append(
            {
                "month": month,
                "items": len(entries),
                "reviewed_share": round(len(reviewed) / len(entries), 4),
                "mean_review_count": round(sum(count for count, _ in reviewed) / len(reviewed), 2)
                if reviewed
                else 0,
                "mean_average": round(sum(averages) / len(averages), 3) if averages else None,
            }
        )
    return rows


def _figure(rows: list[dict[str, Any]]) -> Figure:
    figure = Figure(figsize=(11, 4))
    counts, averages = figure.subplots(1, 2)
    months = list(range(len(rows)))
    counts.plot(months, [row["mean_review_count"] for row in rows])
    counts.set(title="Mean review count of reviewed items by release month", xlabel="release month index")
    averages.plot(months, [row["mean_average"] or float("nan") for row in rows], color="tab:orange")
    averages.set(title="Mean review average by release month", xlabel="release month index", ylim=(0, 5.2))
    figure.tight_layout()
    return figure


def build_reviews(engine: Engine) -> Analysis:
    rows = monthly_reviews(engine)
    items = sum(row["items"] for row in rows)
    reviewed = sum(round(row["items"] * row["reviewed_share"]) for row in rows)
    data = {"months": rows, "items_with_release_date": items, "reviewed_items": reviewed}
    markdown = "# Reviews against release dates\n\n"
    markdown += f"{reviewed} of {items} dated items have reviews.\n\n"
    markdown += markdown_table(
        ["release month", "items", "reviewed", "mean count", "mean average"],
        [
            [
                row["month"],
                row["items"],
                f"{row['reviewed_share']:.0%}",
                row["mean_review_count"],
                row["mean_average"],
            ]
            for row in rows
        ],
    )
    return Analysis("reviews", data, markdown, {"over-time": _figure(rows)} if rows else {})
