"""Retrieval benchmark: build each vector store over N synthetic 768-d item vectors, then measure
single-query latency (P50/P99) and recall@k against exact search.

`run_retrieval_benchmark()` returns the result dict (the `nox -s bench` suite calls it); the CLI writes
it as JSON and Markdown: `python -m voxrank.serving.recommend.benchmark --items 200000 --output DIR`.
Item vectors are drawn around cluster centres, as trained embeddings are, and queries lie near items,
as user vectors do; uniformly random vectors would have no meaningful neighbours to recall.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from voxrank.serving.bench.measure import latency_stats
from voxrank.serving.recommend.hnsw_store import HnswStore
from voxrank.serving.recommend.pgvector_store import PgvectorStore
from voxrank.serving.recommend.store import ExactStore, VectorStore
from voxrank.serving.recommend.store_url import new_store

STORES = ("exact", "hnsw", "pgvector")
VERSION = "benchmark"


def synthetic_vectors(count: int, dimension: int, seed: int, clusters: int = 1000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((clusters, dimension)).astype(np.float32)
    vectors = centres[rng.integers(0, clusters, count)] + rng.standard_normal((count, dimension)).astype(
        np.float32
    )
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@contextmanager
def _temporary_postgres() -> Iterator[str]:
    import pgserver

    with tempfile.TemporaryDirectory(prefix="voxrank-pg-") as folder:
        server = pgserver.get_server(Path(folder), cleanup_mode="stop")
        try:
            yield server.get_uri()
        finally:
            server.cleanup()


@dataclass(frozen=True)
class Workload:
    ids: list[str]
    vectors: np.ndarray
    queries: np.ndarray
    truth: list[set[str]]
    """Exact top-k item ids per query."""
    k: int


def measure_store(store: VectorStore, workload: Workload) -> dict[str, Any]:
    """Build time (load and index, nothing cached from an earlier run), then single-query latency and
    recall; the 1-minute load average after each phase, since other processes on the machine move both."""
    k = workload.k
    started = time.perf_counter()
    store.replace(workload.ids, workload.vectors, VERSION)
    build_s = time.perf_counter() - started
    load_after_build = os.getloadavg()[0]
    for query in workload.queries[:10]:
        store.search(query[None, :], k, VERSION)
    latencies_ns, hits = [], 0
    for query, expected in zip(workload.queries, workload.truth, strict=True):
        began = time.perf_counter_ns()
        found = store.search(query[None, :], k, VERSION)[0].item_ids
        latencies_ns.append(time.perf_counter_ns() - began)
        hits += len(expected & set(found))
    latency = latency_stats(latencies_ns)
    return {
        "settings": store_settings(store),
        "build_s": build_s,
        "p50_ms": latency.p50_ms,
        "p99_ms": latency.p99_ms,
        "mean_ms": latency.mean_ms,
        f"recall@{k}": hits / (k * len(workload.queries)),
        "load_average": {"after_build": load_after_build, "after_queries": os.getloadavg()[0]},
    }


def store_settings(store: VectorStore) -> str:
    """The index parameters the figures belong to, in words."""
    if isinstance(store, HnswStore):
        return f"faiss HNSW M={store.m} efConstruction={store.ef_construction} efSearch={store.ef_search}"
    if isinstance(store, ExactStore):
        return "numpy float32 matrix-vector product (BLAS)"
    m, ef_construction, ef_search = (getattr(store, name) for name in ("m", "ef_construction", "ef_search"))
    return f"pgvector HNSW m={m} ef_construction={ef_construction} hnsw.ef_search={ef_search}"


def run_retrieval_benchmark(
    *,
    items: int = 200_000,
    dimension: int = 768,
    queries: int = 500,
    k: int = 10,
    stores: Sequence[str] = STORES,
    database_url: str | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Latency and recall per store; a store whose dependency is missing is listed under `skipped`."""
    unknown = sorted(set(stores) - set(STORES))
    if unknown:
        raise ValueError(f"unknown stores {unknown}; choose from {list(STORES)}")
    vectors = synthetic_vectors(items, dimension, seed)
    ids = [f"item{index:07d}" for index in range(items)]
    rng = np.random.default_rng(seed + 1)
    near = vectors[rng.integers(0, items, queries)] + 0.5 * synthetic_vectors(queries, dimension, seed + 2)
    query_vectors = (near / np.linalg.norm(near, axis=1, keepdims=True)).astype(np.float32)
    exact = ExactStore()
    exact.replace(ids, vectors, VERSION)
    truth = [set(result.item_ids) for result in exact.search(query_vectors, k, VERSION)]
    workload = Workload(ids, vectors, query_vectors, truth, k)
    results: dict[str, Any] = {
        "benchmark": "two-tower retrieval",
        "items": items,
        "dimension": dimension,
        "queries": queries,
        "k": k,
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
        },
        "stores": {},
        "skipped": {},
    }
    for name in stores:
        try:
            results["stores"][name] = _measure_named(name, workload, database_url)
        except ImportError as error:
            results["skipped"][name] = f"not installed: {error.name}"
    return results


def _measure_named(name: str, workload: Workload, database_url: str | None) -> dict[str, Any]:
    if name == "exact":
        return measure_store(ExactStore(), workload)
    if name == "hnsw":
        import faiss  # noqa: F401  (an ImportError here marks the store as skipped)

        return measure_store(HnswStore(), workload)
    import psycopg  # noqa: F401

    if database_url is not None:
        return measure_store(new_store(f"{database_url}#benchmark_vectors"), workload)
    with _temporary_postgres() as url:
        # The server runs on this machine: its build may use every core (the leader counts as one).
        store = PgvectorStore(url, "benchmark_vectors", build_workers=max(0, (os.cpu_count() or 1) - 1))
        try:
            return measure_store(store, workload)
        finally:
            store.close()


def to_markdown(results: dict[str, Any]) -> str:
    k = results["k"]
    lines = [
        f"# Retrieval benchmark: {results['items']:,} items x {results['dimension']} dims, "
        f"{results['queries']} single queries, k={k}",
        "",
        f"| store | build s | P50 ms | P99 ms | mean ms | recall@{k} vs exact | load avg (build / queries) "
        "| settings |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, row in results["stores"].items():
        load = row["load_average"]
        lines.append(
            f"| {name} | {row['build_s']:.1f} | {row['p50_ms']:.2f} | {row['p99_ms']:.2f} | "
            f"{row['mean_ms']:.2f} | {row[f'recall@{k}']:.4f} | {load['after_build']:.1f} / "
            f"{load['after_queries']:.1f} | {row['settings']} |"
        )
    lines += [f"\nSkipped {name}: {reason}" for name, reason in results["skipped"].items()]
    return "\n".join(lines) + "\n"


app = typer.Typer(help="Benchmark the two-tower vector stores.", add_completion=False)


@app.command()
def main(
    *,
    items: Annotated[int, typer.Option(min=100)] = 200_000,
    queries: Annotated[int, typer.Option(min=10)] = 500,
    k: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    store: Annotated[list[str] | None, typer.Option(help="exact, hnsw, pgvector (repeatable)")] = None,
    database_url: Annotated[
        str | None, typer.Option(help="PostgreSQL with pgvector; default: a pgserver.")
    ] = None,
    output: Annotated[Path, typer.Option(help="Folder for retrieval.json and retrieval.md.")] = Path(
        "bench-results"
    ),
) -> None:
    """Run the benchmark and write retrieval.json and retrieval.md."""
    results = run_retrieval_benchmark(
        items=items, queries=queries, k=k, stores=store or list(STORES), database_url=database_url
    )
    output.mkdir(parents=True, exist_ok=True)
    (output / "retrieval.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    markdown = to_markdown(results)
    (output / "retrieval.md").write_text(markdown, encoding="utf-8")
    typer.echo(markdown)


if __name__ == "__main__":
    app()
