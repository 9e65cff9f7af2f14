"""ItemList's filters and sorts over the synthetic catalog, with sorted index arrays cached per query.

A sync pages through the same (filters, sort) many times; caching the matching, sorted index array makes
every page after the first a slice.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from voxrank.datasync.fakeapi.synthetic import FLOORS, NONE, OTHER_MAKER, SyntheticCatalog, to_seconds

SORTS = ("rank", "price", "-price", "date", "review", "match")
ARTICLES = ("actress", "author", "genre", "series", "maker", "actor", "director", "label")


@dataclass(frozen=True)
class ItemQuery:
    site: str
    service: str | None = None
    floor: str | None = None
    sort: str = "rank"
    keyword: str | None = None
    cid: str | None = None
    articles: tuple[tuple[str, str], ...] = ()
    gte_date: datetime | None = None
    lte_date: datetime | None = None


class QueryEngine:
    def __init__(self, catalog: SyntheticCatalog, cache_size: int = 64) -> None:
        self.catalog = catalog
        self._cache: OrderedDict[ItemQuery, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._titles: list[str] | None = None

    def invalidate(self) -> None:
        """Forget cached results after the catalog grew or changed."""
        self._cache.clear()
        self._titles = None

    def matching(self, query: ItemQuery) -> np.ndarray:
        """Indices of the items matching `query`, in its sort order."""
        cached = self._cache.get(query)
        if cached is not None:
            self._cache.move_to_end(query)
            return cached
        mask = self._mask(query)
        order = self._order(query.sort)
        result = order[mask[order]]
        self._cache[query] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result

    def _order(self, sort: str) -> np.ndarray:
        columns = self.catalog.columns
        index = columns["index"]
        # lexsort's last key is the primary one; the item index breaks ties so pages are stable.
        keys = {
            "rank": (index, -columns["popularity"]),
            "match": (index, -columns["popularity"]),
            "price": (index, -columns["price"]),
            "-price": (index, columns["price"]),
            "date": (index, -columns["date"]),
            "review": (index, -columns["review_average"] * columns["has_review"], -columns["review_count"]),
        }[sort]
        return np.lexsort(keys)

    def _mask(self, query: ItemQuery) -> np.ndarray:
        columns = self.catalog.columns
        floors = [
            n
            for n, floor in enumerate(FLOORS)
            if floor.site == query.site
            and query.service in (None, floor.service_code)
            and query.floor in (None, floor.floor_code)
        ]
        mask = np.isin(columns["floor"], floors)
        if query.gte_date is not None:
            mask &= columns["date"] >= to_seconds(query.gte_date)
        if query.lte_date is not None:
            mask &= columns["date"] <= to_seconds(query.lte_date)
        for kind, value in query.articles:
            mask &= self._article_mask(kind, value)
        if query.cid is not None:
            mask &= self._cid_mask(query.cid, mask)
        if query.keyword:
            mask &= self._keyword_mask(query.keyword, mask)
        return mask

    def _article_mask(self, kind: str, value: str) -> np.ndarray:
        columns = self.catalog.columns
        if kind == "maker":
            wanted = OTHER_MAKER if value == "other" else _as_int(value)
            return columns["maker"] == wanted
        if kind == "genre":
            return (columns["genres"] == _as_int(value)).any(axis=1)
        if kind in ("label", "series", "director"):
            return columns[kind] == _as_int(value)
        role_floors = [n for n, floor in enumerate(FLOORS) if floor.people_role == kind]
        return np.isin(columns["floor"], role_floors) & (columns["people"] == _as_int(value)).any(axis=1)

    def _cid_mask(self, cid: str, candidates: np.ndarray) -> np.ndarray:
        found = np.zeros(len(candidates), dtype=bool)
        for index in np.flatnonzero(candidates):
            if self.catalog.content_id(int(index)) == cid:
                found[index] = True
        return found

    def _keyword_mask(self, keyword: str, candidates: np.ndarray) -> np.ndarray:
        if self._titles is None:
            self._titles = [self.catalog.title(index) for index in range(len(self.catalog))]
        needle = keyword.casefold()
        found = np.zeros(len(candidates), dtype=bool)
        for index in np.flatnonzero(candidates):
            found[index] = needle in self._titles[index].casefold()
        return found


def _as_int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return NONE - 1
