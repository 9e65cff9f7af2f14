"""PostgreSQL + pgvector (from the pgserver wheel): HNSW over 768-d vectors agrees with exact search."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from voxrank.serving.recommend.store import ExactStore, ModelVersionMismatchError, VectorStoreError
from voxrank.serving.recommend.store_url import open_store

from .conftest import unit_vectors

pytestmark = pytest.mark.postgres
pgserver = pytest.importorskip("pgserver", reason="the pgserver wheel is part of ml-serving's test extra")
pytest.importorskip("pgvector", reason="psycopg and pgvector come with ml-serving's pgvector extra")

from voxrank.serving.recommend.pgvector_store import PgvectorStore  # noqa: E402


@pytest.fixture(scope="module")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = pgserver.get_server(Path(tmp_path_factory.mktemp("pg")), cleanup_mode="stop")
    yield server.get_uri()
    server.cleanup()


def test_hnsw_in_postgres_matches_exact_search(database_url: str) -> None:
    ids = [f"item{n:05d}" for n in range(3000)]
    vectors = unit_vectors(3000, 768, seed=11)
    store = PgvectorStore(database_url, table="recall_check")
    store.replace(ids, vectors, "1.0.0")
    exact = ExactStore()
    exact.replace(ids, vectors, "1.0.0")
    # Queries near catalog items, as user vectors are: a random direction has no meaningful neighbours.
    queries = vectors[:50] + 0.5 * unit_vectors(50, 768, seed=12)
    truth = exact.search(queries, 10, "1.0.0")
    found = store.search(queries, 10, "1.0.0")
    recall = np.mean([len(set(a.item_ids) & set(b.item_ids)) / 10 for a, b in zip(truth, found, strict=True)])
    assert recall >= 0.95
    position = {item_id: index for index, item_id in enumerate(ids)}
    exact_scores = [float(vectors[position[item_id]] @ queries[0]) for item_id in found[0].item_ids]
    assert np.allclose(found[0].scores, exact_scores, atol=1e-4)
    assert store.model_version == "1.0.0" and len(store) == 3000
    row = store._connection.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'recall_check'"
    ).fetchall()
    assert any("hnsw" in definition and "vector_ip_ops" in definition for (definition,) in row)
    # Vectors stay in their rows (PLAIN), where the index build reads them without detoasting.
    (storage,) = store._connection.execute(
        "SELECT attstorage FROM pg_attribute "
        "WHERE attrelid = 'recall_check'::regclass AND attname = 'embedding'"
    ).fetchone()
    assert storage == "p"


def test_versions_exclusions_and_rebuilds(database_url: str) -> None:
    ids = [f"v{n}" for n in range(300)]
    vectors = unit_vectors(300, 768, seed=13)
    store = open_store(f"{database_url}#versioned")
    store.replace(ids, vectors, "1.0.0")
    first = store.search(vectors[:1], 5, "1.0.0")[0].item_ids
    assert first[0] == "v0"
    excluded = store.search(vectors[:1], 5, "1.0.0", exclude=[{"v0"}])[0].item_ids
    assert "v0" not in excluded and excluded == first[1:] + excluded[4:]
    with pytest.raises(ModelVersionMismatchError):
        store.search(vectors[:1], 5, "2.0.0")
    store.replace(ids[:100], vectors[:100], "2.0.0")
    assert store.model_version == "2.0.0" and len(store) == 100
    with pytest.raises(ModelVersionMismatchError):
        store.search(vectors[:1], 5, "1.0.0")
    # Every row carries the version of the index it belongs to.
    versions = store._connection.execute("SELECT DISTINCT model_version FROM versioned").fetchall()  # type: ignore[attr-defined]
    assert versions == [("2.0.0",)]


def test_bad_table_names_and_unreachable_databases_are_refused(database_url: str) -> None:
    with pytest.raises(VectorStoreError, match="table name"):
        PgvectorStore(database_url, table="items; DROP TABLE x")
    with pytest.raises(VectorStoreError, match="cannot connect"):
        PgvectorStore("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
