"""Feature preprocessing for the two towers, shared by training and serving.

Everything is hashed, so there is no vocabulary to ship: titles become character n-grams (which works for
Japanese as well as English, without a tokenizer), genres, makers, series, labels and people become id
tokens, and item ids become history tokens. The `FeatureSpec` holds the hashing parameters and the
normalisation statistics of the dense features; it travels in both towers' manifests (`preprocessing`).
"""

from __future__ import annotations

import math
import re
import unicodedata
import zlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from voxrank.serving.recommend.items import ItemRecord, UserHistory

FEATURE_FORMAT: Literal["voxrank-twotower-features/1"] = "voxrank-twotower-features/1"
DENSE_FEATURES = (
    "log_price",
    "price_missing",
    "log_review_count",
    "review_average",
    "release_year",
    "release_missing",
)
ITEM_INPUTS = ("item_ids", "item_tokens", "item_dense")
USER_INPUTS = ("history_ids", "history_weights")
PADDING = 0
_WHITESPACE = re.compile(r"\s+")


class DenseStats(BaseModel):
    """Mean and standard deviation of the dense features over the catalog the spec was fitted on."""

    log_price_mean: float = 0.0
    log_price_std: float = 1.0
    log_review_count_mean: float = 0.0
    log_review_count_std: float = 1.0
    release_year_mean: float = 2015.0
    release_year_std: float = 5.0


class FeatureSpec(BaseModel):
    """Hashing parameters and dense-feature statistics; identical in training and serving."""

    model_config = ConfigDict(frozen=True)

    format: Literal["voxrank-twotower-features/1"] = FEATURE_FORMAT
    seed: int = Field(default=20240601, ge=0, lt=2**32, description="Start value of every CRC32 hash.")
    token_buckets: int = Field(default=2**18, ge=16, description="Hash space of title n-grams and id bags.")
    item_buckets: int = Field(default=2**18, ge=16, description="Hash space of item ids (item and history).")
    ngram_sizes: tuple[int, ...] = (1, 2, 3)
    max_title_tokens: int = Field(default=96, ge=1)
    max_bag_tokens: int = Field(default=32, ge=1)
    max_history: int = Field(default=50, ge=1)
    history_decay: float = Field(default=0.98, gt=0, le=1, description="Weight factor per step back in time.")
    dense: DenseStats = DenseStats()

    @property
    def item_token_width(self) -> int:
        return self.max_title_tokens + self.max_bag_tokens

    def to_manifest(self) -> dict[str, object]:
        return {"features": self.model_dump(mode="json")}

    @classmethod
    def from_manifest(cls, preprocessing: dict[str, object]) -> FeatureSpec:
        return cls.model_validate(preprocessing["features"])

    def fitted(self, items: Iterable[ItemRecord]) -> FeatureSpec:
        """A copy whose dense statistics are measured on `items` (missing values are left out)."""
        prices, counts, years = [], [], []
        for item in items:
            if item.price is not None and item.price >= 0:
                prices.append(math.log1p(item.price))
            counts.append(math.log1p(max(item.review_count or 0, 0)))
            if item.release_date is not None:
                years.append(_fractional_year(item.release_date))
        stats = DenseStats(
            **_moments("log_price", prices, DenseStats().log_price_mean),
            **_moments("log_review_count", counts, 0.0),
            **_moments("release_year", years, DenseStats().release_year_mean),
        )
        return self.model_copy(update={"dense": stats})


def _moments(name: str, values: list[float], default_mean: float) -> dict[str, float]:
    if not values:
        return {f"{name}_mean": default_mean, f"{name}_std": 1.0}
    array = np.asarray(values, dtype=np.float64)
    return {f"{name}_mean": float(array.mean()), f"{name}_std": float(max(array.std(), 1e-3))}


def _fractional_year(moment: datetime) -> float:
    return moment.year + (moment.timetuple().tm_yday - 1) / 366.0


def _bucket(text: str, seed: int, buckets: int) -> int:
    # CRC32 is stable across processes and platforms (Python's hash() is salted per process).
    return 1 + zlib.crc32(text.encode("utf-8"), seed) % (buckets - 1)


def normalise_title(title: str) -> str:
    """NFKC (full-width to half-width, compatibility forms), lower case, collapsed whitespace."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", title)).strip().lower()


def title_ngrams(title: str, sizes: Sequence[int]) -> list[str]:
    """Distinct character n-grams of the normalised title, in order of first appearance."""
    text = normalise_title(title)
    seen: dict[str, None] = {}
    for size in sizes:
        for start in range(len(text) - size + 1):
            gram = text[start : start + size]
            if gram.strip():
                seen.setdefault(f"{size}:{gram}", None)
    return list(seen)


def item_id_token(item_id: str, spec: FeatureSpec) -> int:
    return _bucket(f"item\x1f{item_id}", spec.seed, spec.item_buckets)


def _content_tokens(item: ItemRecord, spec: FeatureSpec) -> tuple[list[int], list[int]]:
    title = [
        _bucket(f"title\x1f{gram}", spec.seed, spec.token_buckets)
        for gram in title_ngrams(item.title, spec.ngram_sizes)
    ]
    bags = (
        ("genre", item.genre_ids),
        ("maker", item.maker_ids),
        ("series", item.series_ids),
        ("label", item.label_ids),
        ("person", item.people_ids),
    )
    ids = [
        _bucket(f"{field}\x1f{value}", spec.seed, spec.token_buckets)
        for field, values in bags
        for value in values
    ]
    return title[: spec.max_title_tokens], ids[: spec.max_bag_tokens]


def _dense(item: ItemRecord, stats: DenseStats) -> list[float]:
    price_missing = item.price is None or item.price < 0
    log_price = (
        0.0 if price_missing else (math.log1p(item.price or 0.0) - stats.log_price_mean) / stats.log_price_std
    )
    log_reviews = (
        math.log1p(max(item.review_count or 0, 0)) - stats.log_review_count_mean
    ) / stats.log_review_count_std
    average = (item.review_average or 0.0) / 5.0
    if item.release_date is None:
        year, release_missing = 0.0, 1.0
    else:
        year, release_missing = (
            (_fractional_year(item.release_date) - stats.release_year_mean) / stats.release_year_std,
            0.0,
        )
    return [log_price, float(price_missing), log_reviews, average, year, release_missing]


def encode_items(items: Sequence[ItemRecord], spec: FeatureSpec) -> dict[str, np.ndarray]:
    """The item tower's inputs: `item_ids` [B], `item_tokens` [B, T] (0 pads), `item_dense` [B, 6]."""
    tokens = np.zeros((len(items), spec.item_token_width), dtype=np.int64)
    dense = np.zeros((len(items), len(DENSE_FEATURES)), dtype=np.float32)
    ids = np.zeros(len(items), dtype=np.int64)
    for row, item in enumerate(items):
        title, bag = _content_tokens(item, spec)
        tokens[row, : len(title)] = title
        tokens[row, spec.max_title_tokens : spec.max_title_tokens + len(bag)] = bag
        dense[row] = _dense(item, spec.dense)
        ids[row] = item_id_token(item.item_id, spec)
    return {"item_ids": ids, "item_tokens": tokens, "item_dense": dense}


def encode_histories(histories: Sequence[UserHistory], spec: FeatureSpec) -> dict[str, np.ndarray]:
    """The user tower's inputs: the last `max_history` items, most recent first, with decayed weights."""
    ids = np.zeros((len(histories), spec.max_history), dtype=np.int64)
    weights = np.zeros((len(histories), spec.max_history), dtype=np.float32)
    for row, history in enumerate(histories):
        recent = history.interactions[::-1][: spec.max_history]
        for rank, interaction in enumerate(recent):
            ids[row, rank] = item_id_token(interaction.item_id, spec)
            weights[row, rank] = max(interaction.weight, 0.0) * spec.history_decay**rank
    return {"history_ids": ids, "history_weights": weights}
