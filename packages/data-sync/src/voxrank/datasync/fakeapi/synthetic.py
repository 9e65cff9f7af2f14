"""A deterministic synthetic catalog held in numpy arrays, with the API's quirks built into each item.

Everything is generated vectorised at start-up (200,000 items in well under a second); an item's JSON
object is built only when a page containing it is served. `work_ids` label which items are the same
work on different floors (a digital release and its DVD), for the `link` analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from voxrank.datasync.fakeapi import vocabulary as words

EPOCH = datetime(1970, 1, 1)
CATALOG_START = datetime(2005, 1, 1)
CATALOG_END = datetime(2025, 12, 31, 23, 59, 59)


@dataclass(frozen=True)
class FloorSpec:
    site: str
    service_code: str
    service_name: str
    floor_id: int
    floor_code: str
    floor_name: str
    weight: float
    people_role: str


FLOORS = (
    FloorSpec("FANZA", "digital", "動画", 43, "videoa", "ビデオ", 0.45, "actress"),
    FloorSpec("FANZA", "digital", "動画", 44, "videoc", "素人", 0.10, "actress"),
    FloorSpec("FANZA", "mono", "通販", 74, "dvd", "DVD", 0.20, "actress"),
    FloorSpec("FANZA", "ebook", "電子書籍", 81, "comic", "コミック", 0.10, "author"),
    FloorSpec("DMM.com", "mono", "通販", 17, "book", "本", 0.08, "author"),
    FloorSpec("DMM.com", "digital", "動画", 3, "cinema", "映画", 0.07, "actor"),
)
VIDEOA, DVD = 0, 2
DELIVERY_TYPES = ("stream", "download", "hd", "androiddl")
GENRE_POOL, MAKER_POOL, LABEL_POOL, SERIES_POOL = 60, 300, 500, 3000
PEOPLE_POOL = {"actress": 20000, "actor": 5000, "author": 3000, "director": 800}
OTHER_MAKER = -2
NONE = -1


def to_seconds(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds())


def from_seconds(seconds: int) -> datetime:
    return EPOCH + timedelta(seconds=int(seconds))


def _pick_or_none(rng: np.random.Generator, count: int, pool: int, rate: float) -> np.ndarray:
    values = rng.integers(1, pool + 1, count)
    return np.where(rng.random(count) < rate, values, NONE)


def _multi(rng: np.random.Generator, count: int, pool: int, low: int, high: int) -> np.ndarray:
    """count x high matrix of ids, each row holding between low and high distinct-ish ids, NONE padded."""
    matrix = rng.integers(1, pool + 1, (count, high))
    lengths = rng.integers(low, high + 1, count)
    matrix[np.arange(high)[None, :] >= lengths[:, None]] = NONE
    return matrix


def _dates(rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
    """Release dates, denser towards `high`; mostly at 10:00, 5% exactly on a month boundary at 00:00."""
    days = low // 86400 + (np.sqrt(rng.random(count)) * ((high - low) // 86400)).astype(np.int64)
    seconds = days * 86400 + 10 * 3600
    on_boundary = rng.random(count) < 0.05
    for position in np.flatnonzero(on_boundary):
        moment = from_seconds(seconds[position])
        seconds[position] = to_seconds(moment.replace(day=1, hour=0))
    return np.clip(seconds, low, high)


class SyntheticCatalog:
    """The fake API's data: `count` items from `seed`, growable and mutable for incremental-sync tests."""

    def __init__(self, count: int, seed: int = 1, malformed_rate: float = 0.0) -> None:
        self.seed = seed
        self.malformed_rate = malformed_rate
        self.columns: dict[str, np.ndarray] = {}
        self._blocks = 0
        self._append(count, to_seconds(CATALOG_START), to_seconds(CATALOG_END), with_copies=True)

    def __len__(self) -> int:
        return len(self.columns["date"])

    def _append(self, count: int, low: int, high: int, *, with_copies: bool) -> None:
        rng = np.random.default_rng([self.seed, self._blocks])
        self._blocks += 1
        start = len(self) if self.columns else 0
        block = self._generate(rng, start, count, low, high, with_copies=with_copies)
        for name, values in block.items():
            self.columns[name] = (
                np.concatenate([self.columns[name], values]) if name in self.columns else values
            )

    def _generate(
        self, rng: np.random.Generator, start: int, count: int, low: int, high: int, *, with_copies: bool
    ) -> dict[str, np.ndarray]:
        weights = np.array([floor.weight for floor in FLOORS])
        floor = rng.choice(len(FLOORS), count, p=weights / weights.sum())
        dates = _dates(rng, count, low, high)
        copy_of = np.full(count, NONE)
        if with_copies:
            originals = np.flatnonzero(floor == VIDEOA)
            copies = np.flatnonzero(floor == DVD)
            paired = min(len(originals), len(copies) // 2)
            if paired:
                sources = rng.choice(originals, paired, replace=False)
                copy_of[copies[:paired]] = sources
                delay = rng.integers(30, 90, paired) * 86400
                dates[copies[:paired]] = np.minimum(dates[sources] + delay, high)
        has_review = rng.random(count) < 0.6
        review_count = np.where(has_review, rng.geometric(0.05, count), 0)
        popularity = review_count * 3 + rng.integers(0, 100, count)
        return {
            "index": np.arange(start, start + count),
            "floor": floor,
            "date": dates,
            "copy_of": np.where(copy_of >= 0, copy_of + start, NONE),
            "price": rng.integers(1, 50, count) * 100 * (rng.random(count) >= 0.02),
            "price_tilde": rng.random(count) < 0.2,
            "list_factor": np.where(rng.random(count) < 0.3, 1.5, 1.0),
            "deliveries": rng.integers(0, 1 << len(DELIVERY_TYPES), count),
            "has_review": has_review,
            "review_count": review_count,
            "review_average": np.round(rng.uniform(1.0, 5.0, count), 2),
            "popularity": popularity,
            "title_words": rng.integers(0, len(words.ENGLISH_WORDS), (count, 3)),
            "japanese_title": rng.random(count) < 0.5,
            "episode": rng.integers(1, 30, count),
            "no_title": rng.random(count) < 0.0005,
            "no_url": rng.random(count) < 0.0005,
            "sample_movie": rng.random(count) < 0.5,
            "sample_images": rng.random(count) < 0.7,
            "malformed": rng.random(count) < self.malformed_rate,
            "genres": _multi(rng, count, GENRE_POOL, 1, 5),
            "maker": np.where(rng.random(count) < 0.03, OTHER_MAKER, rng.integers(1, MAKER_POOL + 1, count)),
            "label": _pick_or_none(rng, count, LABEL_POOL, 0.6),
            "series": _pick_or_none(rng, count, SERIES_POOL, 0.4),
            "people": _multi(rng, count, PEOPLE_POOL["actress"], 0, 3),
            "director": _pick_or_none(rng, count, PEOPLE_POOL["director"], 0.3),
        }

    def grow(self, count: int) -> None:
        """Add `count` items released in the day after the newest one (what an incremental sync finds)."""
        newest = int(self.columns["date"].max())
        self._append(count, newest + 1, newest + 86400, with_copies=False)

    def mutate(self, count: int, seed: int) -> list[int]:
        """Change price and reviews of `count` items, as a live catalog does between syncs."""
        rng = np.random.default_rng([self.seed, 1_000_003, seed])
        chosen = rng.choice(len(self), min(count, len(self)), replace=False)
        self.columns["price"][chosen] = rng.integers(1, 50, len(chosen)) * 100 + 10
        self.columns["has_review"][chosen] = True
        self.columns["review_count"][chosen] += rng.integers(1, 20, len(chosen))
        self.columns["review_average"][chosen] = np.round(rng.uniform(1.0, 5.0, len(chosen)), 2)
        return [int(index) for index in chosen]

    # Identity of an item ------------------------------------------------------------------------------

    def _prefix_number(self, index: int) -> tuple[str, int]:
        prefixes = words.LABEL_PREFIXES
        return prefixes[index % len(prefixes)], index // len(prefixes) + 1

    def content_id(self, index: int) -> str:
        source = int(self.columns["copy_of"][index])
        if source != NONE:
            # The DVD of a digital release: same label and number, without the zero padding.
            prefix, number = self._prefix_number(source)
            return f"{prefix}{number:03d}"
        prefix, number = self._prefix_number(index)
        return f"{prefix}{number:07d}" if len(self) > 2_000_000 else f"{prefix}{number:06d}"

    def product_id(self, index: int) -> str:
        source = int(self.columns["copy_of"][index])
        if source != NONE:
            prefix, number = self._prefix_number(source)
            return f"{prefix}{number}dvd"
        return self.content_id(index)

    def work_id(self, index: int) -> int:
        """Ground truth for linking: the index of the original release."""
        source = int(self.columns["copy_of"][index])
        return source if source != NONE else index

    def title(self, index: int) -> str:
        work = self.work_id(index)
        picks = self.columns["title_words"][work]
        episode = int(self.columns["episode"][work])
        if self.columns["japanese_title"][work]:
            text = "".join(words.JAPANESE_WORDS[p] for p in picks) + f" 第{episode}話"
        else:
            text = " ".join(words.ENGLISH_WORDS[p] for p in picks) + f" Vol.{episode}"
        return f"【DVD】{text}" if work != index else text

    def release_date(self, index: int) -> datetime:
        return from_seconds(int(self.columns["date"][index]))

    def price_value(self, index: int) -> int:
        return int(self.columns["price"][index])

    def review(self, index: int) -> tuple[int, float] | None:
        if not self.columns["has_review"][index]:
            return None
        return int(self.columns["review_count"][index]), float(self.columns["review_average"][index])

    def floor(self, index: int) -> FloorSpec:
        return FLOORS[int(self.columns["floor"][index])]

    # The API's JSON object ----------------------------------------------------------------------------

    def item(self, index: int) -> dict[str, Any]:
        """The item as ItemList returns it, quirks included."""
        columns = self.columns
        floor = self.floor(index)
        content_id = self.content_id(index)
        url = f"https://example.invalid/{floor.service_code}/{floor.floor_code}/-/detail/=/cid={content_id}/"
        item: dict[str, Any] = {
            "service_code": floor.service_code,
            "service_name": floor.service_name,
            "floor_code": floor.floor_code,
            "floor_name": floor.floor_name,
            "category_name": f"{floor.service_name} ({floor.floor_name})",
            "content_id": content_id,
            "product_id": self.product_id(index),
            "title": self.title(index),
            "volume": str(60 + index % 120),
            "URL": url,
            "affiliateURL": url + "?af_id=fake-990",
            "imageURL": {
                "list": f"https://example.invalid/img/{content_id}pt.jpg",
                "small": f"https://example.invalid/img/{content_id}ps.jpg",
                "large": f"https://example.invalid/img/{content_id}pl.jpg",
            },
            "prices": self._prices(index),
            "date": self.release_date(index).strftime("%Y-%m-%d %H:%M:%S"),
            "iteminfo": self._iteminfo(index, floor),
        }
        if columns["no_title"][index]:
            del item["title"]
        if columns["no_url"][index]:
            del item["URL"]
        review = self.review(index)
        if review is not None:
            item["review"] = {"count": review[0], "average": f"{review[1]:.2f}"}
        if columns["sample_images"][index]:
            item["sampleImageURL"] = {
                "sample_s": {"image": [f"https://example.invalid/img/{content_id}-{n}.jpg" for n in (1, 2)]}
            }
        if columns["sample_movie"][index]:
            item["sampleMovieURL"] = {
                "size_476_306": f"https://example.invalid/mv/{content_id}",
                "pc_flag": 1,
            }
        if columns["malformed"][index]:
            item["date"] = "2023-13-45 99:99:99"
            item["review"] = {"count": "many"}
        return item

    def _prices(self, index: int) -> dict[str, Any]:
        columns = self.columns
        price = self.price_value(index)
        if price == 0:
            return {"price": 0}
        text = f"{price}~" if columns["price_tilde"][index] else str(price)
        prices: dict[str, Any] = {
            "price": text,
            "list_price": str(int(price * columns["list_factor"][index])),
        }
        if self.floor(index).service_code == "digital":
            mask = int(columns["deliveries"][index]) or 1
            prices["deliveries"] = {
                "delivery": [
                    {"type": kind, "price": str(price + 100 * n), "list_price": str(price + 100 * n)}
                    for n, kind in enumerate(DELIVERY_TYPES)
                    if mask & (1 << n)
                ]
            }
        return prices

    def _iteminfo(self, index: int, floor: FloorSpec) -> dict[str, Any]:
        columns = self.columns
        maker = int(columns["maker"][index])
        info: dict[str, Any] = {
            "genre": [
                {"id": int(g), "name": genre_name(int(g))} for g in columns["genres"][index] if g != NONE
            ],
            "maker": [{"id": "other", "name": "その他"}]
            if maker == OTHER_MAKER
            else [entity(maker, "maker")],
        }
        for kind in ("label", "series"):
            value = int(columns[kind][index])
            if value != NONE:
                info[kind] = [entity(value, kind)]
        people = [int(p) for p in columns["people"][index] if p != NONE]
        if floor.people_role == "author":
            people = people[:1]
        if people:
            info[floor.people_role] = [person(p, floor.people_role) for p in people]
        director = int(columns["director"][index])
        if director != NONE and floor.people_role != "author":
            info["director"] = [person(director, "director")]
        return info


def genre_name(genre_id: int) -> str:
    return f"{words.JAPANESE_WORDS[genre_id % 20]}{words.ENGLISH_WORDS[genre_id // 20 % 20]}"


def entity(entity_id: int, kind: str) -> dict[str, Any]:
    return {"id": entity_id, "name": f"{kind.title()} {words.ENGLISH_WORDS[entity_id % 20]} {entity_id}"}


def person(person_id: int, role: str) -> dict[str, Any]:
    family, given = person_id % 10, person_id // 10 % 10
    record = {"id": person_id, "name": f"{words.FAMILY_NAMES[family]}{words.GIVEN_NAMES[given]}{person_id}"}
    if role != "director":
        record["ruby"] = f"{words.ROMAJI_FAMILY[family].lower()} {words.ROMAJI_GIVEN[given].lower()}"
    return record
