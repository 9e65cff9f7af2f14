"""The in-process stores: exact search is exact, HNSW agrees with it, exclusions and versions hold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxrank.serving.recommend.hnsw_store import HnswStore
from voxrank.serving.recommend.store import (
    EmptyStoreError,
    ExactStore,
    ModelVersionMismatchError,
    VectorStoreError,
)
from voxrank.serving.recommend.store_url import new_store, open_store, persist

from .conftest import unit_vectors


def test_exact_search_ranks_by_inner_product(catalog_vectors: tuple[list[str], np.ndarray]) -> None:
    ids, vectors = catalog_vectors
    store = ExactStore()
    store.replace(ids, vectors, "1.0.0")
    queries = unit_vectors(5, 768, seed=2)
    results = store.search(queries, 20, "1.0.0")
    for query, result in zip(queries, results, strict=True):
        order = np.argsort(-(vectors @ query))[:20]
        assert result.item_ids == [ids[i] for i in order]
        assert np.allclose(result.scores, (vectors @ query)[order], atol=1e-5)


def test_excluded_items_never_come_back_and_k_is_still_filled(
    catalog_vectors: tuple[list[str], np.ndarray],
) -> None:
    ids, vectors = catalog_vectors
    query = vectors[:1] * 0.5 + vectors[1:2] * 0.5
    for store in (ExactStore(), HnswStore()):
        store.replace(ids, vectors, "1.0.0")
        unfiltered = store.search(query, 10, "1.0.0")[0].item_ids
        excluded = set(unfiltered[:5])
        filtered = store.search(query, 10, "1.0.0", exclude=[excluded])[0].item_ids
        assert len(filtered) == 10 and not excluded & set(filtered)
        assert filtered[:5] == unfiltered[5:]


def test_queries_from_another_model_version_are_refused(
    catalog_vectors: tuple[list[str], np.ndarray],
) -> None:
    ids, vectors = catalog_vectors
    for store in (ExactStore(), HnswStore()):
        with pytest.raises(EmptyStoreError):
            store.search(vectors[:1], 5, "1.0.0")
        store.replace(ids, vectors, "1.0.0")
        with pytest.raises(ModelVersionMismatchError, match=r"1\.1\.0.*1\.0\.0"):
            store.search(vectors[:1], 5, "1.1.0")


@pytest.mark.parametrize(
    ("k", "dimension", "message"),
    [(0, 768, "k must be"), (1001, 768, "k must be"), (5, 64, "768 dimensions")],
)
def test_bad_queries_get_clear_errors(
    catalog_vectors: tuple[list[str], np.ndarray], k: int, dimension: int, message: str
) -> None:
    ids, vectors = catalog_vectors
    store = ExactStore()
    store.replace(ids, vectors, "1.0.0")
    with pytest.raises(VectorStoreError, match=message):
        store.search(unit_vectors(1, dimension, seed=3), k, "1.0.0")


def test_bad_index_input_is_refused() -> None:
    store = ExactStore()
    with pytest.raises(VectorStoreError, match="unique"):
        store.replace(["a", "a"], unit_vectors(2, 8, seed=0), "1.0.0")
    with pytest.raises(VectorStoreError, match="NaN"):
        store.replace(["a", "b"], np.full((2, 8), np.nan, dtype=np.float32), "1.0.0")
    with pytest.raises(VectorStoreError, match="2-D"):
        store.replace(["a"], unit_vectors(2, 8, seed=0), "1.0.0")


def test_hnsw_recall_against_exact(catalog_vectors: tuple[list[str], np.ndarray]) -> None:
    ids, vectors = catalog_vectors
    exact, approximate = ExactStore(), HnswStore()
    for store in (exact, approximate):
        store.replace(ids, vectors, "2.0.0")
    queries = unit_vectors(50, 768, seed=4)
    truth = exact.search(queries, 10, "2.0.0")
    found = approximate.search(queries, 10, "2.0.0")
    recall = np.mean([len(set(a.item_ids) & set(b.item_ids)) / 10 for a, b in zip(truth, found, strict=True)])
    assert recall >= 0.95


@pytest.mark.parametrize("scheme", ["exact", "hnsw"])
def test_indexes_survive_a_save_and_load(
    tmp_path: Path, catalog_vectors: tuple[list[str], np.ndarray], scheme: str
) -> None:
    ids, vectors = catalog_vectors
    url = f"{scheme}:{tmp_path / 'nested' / 'index.bin'}"
    store = new_store(url)
    store.replace(ids, vectors, "1.2.3")
    persist(store, url)
    reopened = open_store(url)
    assert reopened.model_version == "1.2.3" and len(reopened) == len(ids)
    assert (
        reopened.search(vectors[:3], 5, "1.2.3")[0].item_ids
        == store.search(vectors[:3], 5, "1.2.3")[0].item_ids
    )


def test_store_urls_are_checked(tmp_path: Path) -> None:
    with pytest.raises(VectorStoreError, match="unknown vector store"):
        open_store("redis://somewhere")
    with pytest.raises(VectorStoreError, match="index build"):
        open_store(f"exact:{tmp_path / 'missing.npz'}")
