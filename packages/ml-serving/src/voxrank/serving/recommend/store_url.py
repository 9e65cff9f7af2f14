"""Name a vector store by one string: `exact:PATH` (default), `hnsw:PATH`, or a PostgreSQL URL.

A PostgreSQL URL may carry `#TABLE` to pick the table (default `voxrank_item_vectors`).
"""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.recommend.hnsw_store import HnswStore
from voxrank.serving.recommend.pgvector_store import PgvectorStore
from voxrank.serving.recommend.store import ExactStore, VectorStore, VectorStoreError

SCHEMES = ("exact:", "hnsw:", "postgresql://", "postgres://")


def _postgres(url: str) -> PgvectorStore:
    database_url, _, table = url.partition("#")
    return PgvectorStore(database_url, table=table) if table else PgvectorStore(database_url)


def _check(url: str) -> None:
    if not url.startswith(SCHEMES):
        raise VectorStoreError(
            f"unknown vector store {url!r}: use exact:PATH, hnsw:PATH or a postgresql:// URL"
        )


def open_store(url: str) -> VectorStore:
    """Open an existing index for searching."""
    _check(url)
    if url.startswith("exact:"):
        return ExactStore.load(Path(url.removeprefix("exact:")))
    if url.startswith("hnsw:"):
        return HnswStore.load(Path(url.removeprefix("hnsw:")))
    return _postgres(url)


def new_store(url: str) -> VectorStore:
    """An empty store of the kind `url` names, to build an index into (then `persist` it)."""
    _check(url)
    if url.startswith("exact:"):
        return ExactStore()
    if url.startswith("hnsw:"):
        return HnswStore()
    return _postgres(url)


def persist(store: VectorStore, url: str) -> None:
    """Write an in-process index to its file; PostgreSQL stores are already persistent."""
    if isinstance(store, ExactStore | HnswStore):
        path = Path(url.split(":", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        store.save(path)
