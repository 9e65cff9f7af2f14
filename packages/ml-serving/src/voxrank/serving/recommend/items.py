"""The item and interaction records the two-tower features are built from, independent of their source."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

PEOPLE_FIELDS = ("actress_ids", "actor_ids", "director_ids", "author_ids")


@dataclass(frozen=True)
class ItemRecord:
    """What the item tower sees of one catalog item; every field but `item_id` may be missing."""

    item_id: str
    title: str = ""
    genre_ids: tuple[str, ...] = ()
    maker_ids: tuple[str, ...] = ()
    series_ids: tuple[str, ...] = ()
    label_ids: tuple[str, ...] = ()
    people_ids: tuple[str, ...] = ()
    price: float | None = None
    review_count: int | None = None
    review_average: float | None = None
    release_date: datetime | None = None

    @classmethod
    def from_catalog(cls, item: Any) -> ItemRecord:
        """Adapt a `voxrank.datasync.catalog.CatalogItem` (contract 7) without importing data-sync."""
        people: list[str] = []
        for name in PEOPLE_FIELDS:
            people.extend(str(value) for value in getattr(item, name, None) or ())
        return cls(
            item_id=str(item.content_id),
            title=item.title or "",
            genre_ids=_ids(getattr(item, "genre_ids", None)),
            maker_ids=_ids(getattr(item, "maker_ids", None)),
            series_ids=_ids(getattr(item, "series_ids", None)),
            label_ids=_ids(getattr(item, "label_ids", None)),
            people_ids=tuple(people),
            price=getattr(item, "price", None),
            review_count=getattr(item, "review_count", None),
            review_average=getattr(item, "review_average", None),
            release_date=getattr(item, "release_date", None),
        )

    @classmethod
    def from_dict(cls, fields: dict[str, Any]) -> ItemRecord:
        """From JSON-like fields (lists for the id bags, an ISO date string for release_date)."""
        values = dict(fields)
        for name in ("genre_ids", "maker_ids", "series_ids", "label_ids", "people_ids"):
            values[name] = _ids(values.get(name))
        if isinstance(values.get("release_date"), str):
            values["release_date"] = datetime.fromisoformat(values["release_date"])
        values["item_id"] = str(values["item_id"])
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-like fields `from_dict` reads back (missing values left out)."""
        fields = {name: value for name, value in asdict(self).items() if value not in (None, ())}
        if self.release_date is not None:
            fields["release_date"] = self.release_date.isoformat()
        return {name: list(value) if isinstance(value, tuple) else value for name, value in fields.items()}


def _ids(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(value) for value in values or ())


@dataclass(frozen=True)
class Interaction:
    """One user-item event: a purchase, a view, a rating. `weight` scales its importance (default 1)."""

    user_id: str
    item_id: str
    timestamp: datetime
    weight: float = 1.0


@dataclass
class UserHistory:
    """A user's interactions, oldest first."""

    user_id: str
    interactions: list[Interaction] = field(default_factory=list)

    @property
    def item_ids(self) -> list[str]:
        return [interaction.item_id for interaction in self.interactions]


def synthetic_items(count: int, seed: int = 0) -> list[ItemRecord]:
    """A catalog with the fields the item tower reads (titles, genre and maker bags, prices, reviews), for
    benchmarks and the no-data training fallback."""
    rng = np.random.default_rng(seed)
    return [
        ItemRecord(
            item_id=f"item{n:07d}",
            title=f"title {n} {['夏', '冬', 'spring', 'autumn'][n % 4]} {rng.integers(1000)}",
            genre_ids=(str(rng.integers(40)),),
            maker_ids=(f"m{rng.integers(200)}",),
            price=float(rng.integers(100, 5000)),
            review_count=int(rng.integers(0, 300)),
            review_average=float(rng.uniform(1, 5)),
        )
        for n in range(count)
    ]


def write_item_lines(items: Iterable[ItemRecord], path: Path) -> None:
    """Write `items` as the JSON-lines file `iter_item_lines` reads."""
    with path.open("w", encoding="utf-8") as handle:
        for item in items:
            handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")


def iter_item_lines(path: Path, batch_size: int) -> Iterator[list[ItemRecord]]:
    """Batches of items from a JSON-lines file, one `ItemRecord.from_dict` object per line."""
    batch: list[ItemRecord] = []
    with path.open(encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                batch.append(ItemRecord.from_dict(json.loads(line)))
            except (ValueError, KeyError, TypeError) as error:
                raise ValueError(f"{path}:{line_number}: not an item record ({error})") from error
            if len(batch) == batch_size:
                yield batch
                batch = []
    if batch:
        yield batch
