"""Approximate search in process with faiss's HNSW graph (the `faiss` extra)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from voxrank.serving.recommend.store import (
    EmptyStoreError,
    Neighbours,
    VectorStoreError,
    best_unexcluded,
    check_query,
    check_vectors,
    exclusions,
)


def _faiss() -> Any:
    try:
        import faiss
    except ImportError as error:
        raise VectorStoreError(
            "the hnsw store needs faiss: pip install 'voxrank-ml-serving[faiss]'"
        ) from error
    return faiss


class HnswStore:
    """faiss IndexHNSWFlat with the inner-product metric; `ef_search` trades latency for recall."""

    kind = "hnsw"

    def __init__(self, m: int = 32, ef_construction: int = 80, ef_search: int = 128) -> None:
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self._index: Any = None
        self._ids: list[str] = []
        self._version: str | None = None

    @property
    def model_version(self) -> str | None:
        return self._version

    def __len__(self) -> int:
        return len(self._ids)

    def replace(self, item_ids: Sequence[str], vectors: np.ndarray, model_version: str) -> None:
        faiss = _faiss()
        matrix = check_vectors(item_ids, vectors)
        index = faiss.IndexHNSWFlat(matrix.shape[1], self.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = self.ef_construction
        index.add(matrix)
        self._index, self._ids, self._version = index, list(item_ids), model_version

    def search(
        self,
        queries: np.ndarray,
        k: int,
        model_version: str,
        exclude: Sequence[Collection[str]] | None = None,
    ) -> list[Neighbours]:
        dimension = self._index.d if self._index is not None else 0
        matrix = check_query(queries, k, dimension, model_version, self._version)
        excluded_lists = exclusions(exclude, len(matrix))
        # Over-fetch by the number of exclusions so that filtering still leaves k items.
        fetch = min(len(self._ids), k + max((len(excluded) for excluded in excluded_lists), default=0))
        self._index.hnsw.efSearch = max(self.ef_search, fetch)
        scores, positions = self._index.search(matrix, fetch)
        results = []
        for row_scores, row_positions, excluded in zip(scores, positions, excluded_lists, strict=True):
            valid = row_positions >= 0
            ids = [self._ids[position] for position in row_positions[valid]]
            results.append(best_unexcluded(ids, row_scores[valid].tolist(), k, excluded))
        return results

    def save(self, path: Path) -> None:
        """Write the graph to `path` and the ids and model version beside it (`path` + .json)."""
        if self._version is None:
            raise EmptyStoreError("nothing to save: the store is empty")
        _faiss().write_index(self._index, str(path))
        sidecar = {"model_version": self._version, "item_ids": self._ids, "ef_search": self.ef_search}
        _sidecar(path).write_text(json.dumps(sidecar), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> HnswStore:
        if not path.is_file() or not _sidecar(path).is_file():
            raise VectorStoreError(f"no hnsw index at {path}: build it with voxrank-serve index build")
        sidecar = json.loads(_sidecar(path).read_text(encoding="utf-8"))
        store = cls(ef_search=int(sidecar["ef_search"]))
        store._index = _faiss().read_index(str(path))
        store._ids, store._version = list(sidecar["item_ids"]), str(sidecar["model_version"])
        return store


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".json")
