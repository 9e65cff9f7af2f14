"""Vector stores for item embeddings: the protocol, its errors, and the exact in-process store (the default).

Every store holds the vectors of exactly one model version and refuses queries from another: a user vector
from tower version 1.3.0 is meaningless against items embedded by 1.2.0, even when the shapes agree.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

MAX_K = 1000


class VectorStoreError(Exception):
    """A store cannot do what was asked; the message says why."""


class ModelVersionMismatchError(VectorStoreError):
    """The query vectors come from another model version than the indexed item vectors."""


class EmptyStoreError(VectorStoreError):
    """Nothing has been indexed yet."""


@dataclass(frozen=True)
class Neighbours:
    """The top items for one query, best first, with their inner-product scores."""

    item_ids: list[str]
    scores: list[float]


class VectorStore(Protocol):
    """What every store offers: replace the whole index, then search it by inner product."""

    kind: str

    @property
    def model_version(self) -> str | None: ...

    def __len__(self) -> int: ...

    def replace(self, item_ids: Sequence[str], vectors: np.ndarray, model_version: str) -> None: ...

    def search(
        self,
        queries: np.ndarray,
        k: int,
        model_version: str,
        exclude: Sequence[Collection[str]] | None = None,
    ) -> list[Neighbours]: ...


def check_vectors(item_ids: Sequence[str], vectors: np.ndarray) -> np.ndarray:
    """Validate an index's input and return it as C-contiguous float32."""
    if vectors.ndim != 2 or vectors.shape[0] != len(item_ids):
        raise VectorStoreError(f"expected {len(item_ids)} vectors as a 2-D array, got shape {vectors.shape}")
    if len(set(item_ids)) != len(item_ids):
        raise VectorStoreError("item ids must be unique")
    if not np.isfinite(vectors).all():
        raise VectorStoreError("vectors contain NaN or infinite values")
    return np.ascontiguousarray(vectors, dtype=np.float32)


def check_query(
    queries: np.ndarray, k: int, dimension: int, model_version: str, indexed_version: str | None
) -> np.ndarray:
    """Validate a query against the index it is run on; return it as a float32 matrix."""
    if indexed_version is None:
        raise EmptyStoreError("the vector store is empty: build the index first (voxrank-serve index build)")
    if model_version != indexed_version:
        raise ModelVersionMismatchError(
            f"query vectors come from model version {model_version} "
            f"but the index holds version {indexed_version}"
        )
    if not 1 <= k <= MAX_K:
        raise VectorStoreError(f"k must be between 1 and {MAX_K}, got {k}")
    matrix = np.atleast_2d(np.asarray(queries, dtype=np.float32))
    if matrix.ndim != 2 or matrix.shape[1] != dimension:
        raise VectorStoreError(f"query vectors must have {dimension} dimensions, got shape {matrix.shape}")
    return matrix


def exclusions(exclude: Sequence[Collection[str]] | None, count: int) -> list[Collection[str]]:
    if exclude is None:
        return [() for _ in range(count)]
    if len(exclude) != count:
        raise VectorStoreError(f"got {len(exclude)} exclusion lists for {count} queries")
    return list(exclude)


def best_unexcluded(
    item_ids: Sequence[str], scores: Sequence[float], k: int, excluded: Collection[str]
) -> Neighbours:
    """The first `k` candidates (already sorted best first) that are not excluded."""
    kept_ids: list[str] = []
    kept_scores: list[float] = []
    for item_id, score in zip(item_ids, scores, strict=True):
        if item_id in excluded:
            continue
        kept_ids.append(item_id)
        kept_scores.append(float(score))
        if len(kept_ids) == k:
            break
    return Neighbours(kept_ids, kept_scores)


class ExactStore:
    """Brute-force inner product over a float32 matrix in memory: exact, and fast enough to ~1M items."""

    kind = "exact"

    def __init__(self) -> None:
        self._ids: np.ndarray = np.empty(0, dtype=object)
        self._vectors = np.empty((0, 0), dtype=np.float32)
        self._version: str | None = None
        self._position: dict[str, int] = {}

    @property
    def model_version(self) -> str | None:
        return self._version

    def __len__(self) -> int:
        return len(self._ids)

    def replace(self, item_ids: Sequence[str], vectors: np.ndarray, model_version: str) -> None:
        self._vectors = check_vectors(item_ids, vectors)
        self._ids = np.asarray(list(item_ids), dtype=object)
        self._position = {item_id: index for index, item_id in enumerate(item_ids)}
        self._version = model_version

    def search(
        self,
        queries: np.ndarray,
        k: int,
        model_version: str,
        exclude: Sequence[Collection[str]] | None = None,
    ) -> list[Neighbours]:
        matrix = check_query(queries, k, self._vectors.shape[1], model_version, self._version)
        scores = matrix @ self._vectors.T
        results = []
        for row, excluded in zip(scores, exclusions(exclude, len(matrix)), strict=True):
            masked = [self._position[item_id] for item_id in excluded if item_id in self._position]
            row[masked] = -np.inf
            top = min(k, len(row) - len(masked))
            best = np.argpartition(-row, top - 1)[:top] if top > 0 else np.empty(0, dtype=np.int64)
            best = best[np.argsort(-row[best], kind="stable")]
            results.append(Neighbours([str(item) for item in self._ids[best]], row[best].tolist()))
        return results

    def save(self, path: Path) -> None:
        """Write the index as one .npz file (ids, vectors and the model version)."""
        if self._version is None:
            raise EmptyStoreError("nothing to save: the store is empty")
        with path.open("wb") as handle:
            np.savez(
                handle,
                ids=self._ids.astype(str),
                vectors=self._vectors,
                model_version=np.asarray(self._version),
            )

    @classmethod
    def load(cls, path: Path) -> ExactStore:
        if not path.is_file():
            raise VectorStoreError(f"no vector index at {path}: build it with voxrank-serve index build")
        with np.load(path, allow_pickle=False) as data:
            store = cls()
            store.replace([str(item) for item in data["ids"]], data["vectors"], str(data["model_version"]))
        return store
