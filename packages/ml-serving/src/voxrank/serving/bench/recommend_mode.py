"""The recommendation endpoint under load: `POST /v1/recommendations` over loopback.

A voxrank-serve is started on the repository's two towers with an exact index of a synthetic catalog
embedded by the item tower, then the http mode's closed loop runs at a few concurrencies: the same
windows, stability rule and result schema, so `voxrank-bench report` merges the figures (P50/P99,
throughput, errors) with the other modes'. A repository without both towers gives one skipped
measurement that says so.

    python -m voxrank.serving.bench.recommend_mode -r REPOSITORY --out recommend.json
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console

from voxrank.serving.bench.cli_options import Out, collect
from voxrank.serving.bench.loadtest import LoadLimits, Request, closed_loop
from voxrank.serving.bench.schema import Measurement
from voxrank.serving.bench.server import running_server
from voxrank.serving.recommend.index_cli import embed_catalog, load_item_tower
from voxrank.serving.recommend.items import ItemRecord, synthetic_items
from voxrank.serving.recommend.settings import RecommendSettings
from voxrank.serving.recommend.store_url import new_store, persist
from voxrank.serving.repository import ModelRepository

ENDPOINT = "/v1/recommendations"
DEFAULT_CONCURRENCY = (1, 4, 16)
HISTORY_LENGTH = 20
INDEX_BATCH = 1024


def recommend_request(items: Sequence[ItemRecord], k: int, seed: int = 1) -> Request:
    """A recommendation by an explicit history of `HISTORY_LENGTH` catalog items (no stored histories)."""
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(items), size=min(HISTORY_LENGTH, len(items)), replace=False)
    body = {"history": [{"item_id": items[int(index)].item_id} for index in picked], "k": k}
    return Request(
        f"POST {ENDPOINT} (history {len(picked)}, k={k})",
        "POST",
        ENDPOINT,
        json.dumps(body).encode(),
        {"Content-Type": "application/json"},
    )


def build_exact_index(repository: Path, items: list[ItemRecord], path: Path) -> str:
    """Embed `items` with the latest item tower into an exact index at `path`; returns its store URL."""
    tower = load_item_tower(repository, RecommendSettings().item_model, "latest")
    batches = (items[start : start + INDEX_BATCH] for start in range(0, len(items), INDEX_BATCH))
    ids, vectors = embed_catalog(tower, batches)
    url = f"exact:{path}"
    store = new_store(url)
    store.replace(ids, vectors, tower.version)
    persist(store, url)
    return url


def missing_towers(repository: Path) -> list[str]:
    settings = RecommendSettings()
    published = set(ModelRepository(repository).models()) if repository.is_dir() else set()
    return [name for name in (settings.user_model, settings.item_model) if name not in published]


def run_recommend_mode(
    repository: Path,
    work_dir: Path,
    *,
    items: int,
    k: int,
    concurrencies: Sequence[int],
    limits: LoadLimits,
) -> Iterator[Measurement]:
    """One closed-loop measurement per concurrency, or one skipped measurement when a tower is missing."""
    missing = missing_towers(repository)
    if missing:
        yield Measurement(
            mode="http",
            name=f"POST {ENDPOINT}",
            parameters={"path": ENDPOINT},
            status="skipped",
            reason=f"{repository} has no {' or '.join(missing)}: export the towers with "
            "`voxrank-train export two-tower-user|two-tower-item`",
        )
        return
    catalog = synthetic_items(items)
    store_url = build_exact_index(repository, catalog, work_dir / "items.npz")
    settings = {
        "reload": "off",
        "log_level": "warning",
        "intra_op_threads": "1",
        "models": json.dumps([RecommendSettings().user_model, RecommendSettings().item_model]),
        "recommend_store": store_url,
    }
    request = recommend_request(catalog, k)
    with running_server(repository, settings, work_dir / "server.log") as url:
        for concurrency in concurrencies:
            measurement = asyncio.run(closed_loop(url, request, concurrency, limits))
            extra = {"items": items, "k": k, "history": HISTORY_LENGTH, "store": "exact"}
            yield measurement.model_copy(update={"parameters": {**measurement.parameters, **extra}})


app = typer.Typer(
    help="Load POST /v1/recommendations on a voxrank-serve over loopback.", add_completion=False
)


@app.command()
def main(
    *,
    out: Out,
    repository: Annotated[
        Path, typer.Option("--repository", "-r", help="Model repository with both towers.")
    ] = Path("model-repository"),
    items: Annotated[int, typer.Option(min=1, help="Synthetic catalog items in the exact index.")] = 20_000,
    k: Annotated[int, typer.Option(min=1, max=1000, help="Recommendations per request.")] = 10,
    concurrency: Annotated[
        list[int] | None, typer.Option(help="Closed-loop levels (repeatable); default 1 4 16.")
    ] = None,
    window_s: Annotated[float, typer.Option(help="Measurement window in seconds.")] = 1.0,
    max_requests: Annotated[int, typer.Option(help="Most requests per load level.")] = 2000,
) -> None:
    """Measure the endpoint's P50/P99, throughput and errors and write one result file (JSON)."""
    levels = concurrency or list(DEFAULT_CONCURRENCY)
    limits = LoadLimits(window_s=window_s, max_requests=max_requests)
    with tempfile.TemporaryDirectory(prefix="voxrank-recommend-bench-") as work:
        plan = run_recommend_mode(
            repository, Path(work), items=items, k=k, concurrencies=levels, limits=limits
        )
        collect(plan, len(levels), out, "recommend", Console())


if __name__ == "__main__":
    app()
