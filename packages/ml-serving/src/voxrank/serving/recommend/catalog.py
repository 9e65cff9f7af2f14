"""Read the synced catalog (contract 7, the `catalog` extra) as the records the item tower embeds."""

from __future__ import annotations

from collections.abc import Iterator

from voxrank.serving.recommend.items import ItemRecord


class CatalogUnavailableError(RuntimeError):
    """The catalog cannot be read: data-sync is not installed or the database cannot be opened."""


def iter_catalog(database_url: str, batch_size: int = 1000) -> Iterator[list[ItemRecord]]:
    """Batches of catalog items, in content_id order."""
    try:
        from voxrank.datasync.catalog import iter_items
    except ImportError as error:
        message = "reading the catalog needs: pip install 'voxrank-ml-serving[catalog]'"
        raise CatalogUnavailableError(message) from error
    for batch in iter_items(database_url, batch_size=batch_size):
        yield [ItemRecord.from_catalog(item) for item in batch]


def read_catalog(database_url: str) -> list[ItemRecord]:
    return [item for batch in iter_catalog(database_url) for item in batch]
