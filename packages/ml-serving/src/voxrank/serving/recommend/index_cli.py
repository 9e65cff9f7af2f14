"""`voxrank-serve index build`: embed the catalog with the item tower and write the vector store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import Progress

from voxrank.serving.models.validation import load_validated
from voxrank.serving.recommend.catalog import iter_catalog
from voxrank.serving.recommend.items import ItemRecord, iter_item_lines
from voxrank.serving.recommend.settings import RecommendSettings
from voxrank.serving.recommend.store_url import new_store, persist
from voxrank.serving.recommend.towers import ITEM_TASK, Tower
from voxrank.serving.repository import ModelRepository
from voxrank.serving.runtime.providers import ProviderChain
from voxrank.serving.runtime.session import SessionConfig

index_app = typer.Typer(
    help="Build the item vector index that /v1/recommendations searches.", no_args_is_help=True
)
console = Console(stderr=True)


def load_item_tower(repository: Path, model: str, version: str) -> Tower:
    """The item tower, verified like the server verifies it (checksum, contract, golden output)."""
    candidate = ModelRepository(repository).resolve(model, version)
    loaded = load_validated(candidate, SessionConfig(ProviderChain.from_short_names(["cpu"])), warmup_runs=0)
    return Tower.from_manifest(loaded.runner, loaded.manifest, ITEM_TASK)


def embed_catalog(tower: Tower, batches: Iterator[list[ItemRecord]]) -> tuple[list[str], np.ndarray]:
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    with Progress(console=console) as progress:
        task = progress.add_task("embedding items", total=None)
        for batch in batches:
            vectors.append(tower.embed_items(batch))
            ids.extend(item.item_id for item in batch)
            progress.update(task, advance=len(batch))
    if not ids:
        raise ValueError("the catalog holds no items: nothing to index")
    return ids, np.concatenate(vectors)


@index_app.command("build")
def build(
    *,
    repository: Annotated[Path, typer.Option("--repository", "-r", help="Model repository.")],
    catalog: Annotated[str | None, typer.Option(help="Synced catalog database URL (data-sync).")] = None,
    items: Annotated[Path | None, typer.Option(help="Items as JSON lines instead of a catalog.")] = None,
    store: Annotated[
        str | None, typer.Option(help="exact:PATH, hnsw:PATH or postgresql://...[#TABLE].")
    ] = None,
    model: Annotated[str, typer.Option(help="Item tower model name.")] = "two-tower-item",
    version: Annotated[str, typer.Option(help='"latest", "1.2.3" or a range.')] = "latest",
    batch_size: Annotated[int, typer.Option(min=1, max=65536)] = 1024,
) -> None:
    """Embed every catalog item with the item tower and replace the index with the new vectors."""
    if (catalog is None) == (items is None):
        console.print("[red]error:[/red] give exactly one of --catalog and --items")
        raise typer.Exit(2)
    target = store or RecommendSettings().store
    try:
        tower = load_item_tower(repository, model, version)
        batches = iter_catalog(catalog, batch_size) if catalog else iter_item_lines(items, batch_size)  # type: ignore[arg-type]
        ids, vectors = embed_catalog(tower, batches)
        index = new_store(target)
        index.replace(ids, vectors, tower.version)
        persist(index, target)
    except Exception as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(1) from error
    console.print(f"indexed {len(ids)} items with {model} {tower.version} into {index.kind} store {target}")
