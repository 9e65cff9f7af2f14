"""The catalog and interactions a training run uses, from the source its config names."""

from __future__ import annotations

from voxrank.serving.recommend.catalog import read_catalog
from voxrank.serving.recommend.interactions import read_interactions
from voxrank.serving.recommend.items import ItemRecord, iter_item_lines
from voxrank.training.twotower.config import ConfigError, DataConfig
from voxrank.training.twotower.online_retail import load_online_retail
from voxrank.training.twotower.simulate import simulate_interactions
from voxrank.training.twotower.split import TimeSplit, time_split


def load_split(config: DataConfig) -> TimeSplit:
    if config.source == "online-retail":
        retail = load_online_retail(config.path)
        return time_split(retail.items, retail.interactions, config.test_fraction)
    catalog = _catalog(config)
    if config.source == "simulated":
        interactions = simulate_interactions(catalog, config.simulation)
    elif config.path is None:
        raise ConfigError("data.source = 'interactions' needs data.path (a .csv or .parquet log)")
    else:
        interactions = read_interactions(config.path)
    return time_split(catalog, interactions, config.test_fraction)


def _catalog(config: DataConfig) -> list[ItemRecord]:
    if (config.catalog_url is None) == (config.catalog_items is None):
        raise ConfigError(
            f"data.source = {config.source!r} needs one of data.catalog_url and data.catalog_items"
        )
    if config.catalog_url is not None:
        catalog, where = read_catalog(config.catalog_url), config.catalog_url
    else:
        path = config.catalog_items
        if path is None or not path.is_file():
            raise ConfigError(f"catalog file {path} does not exist")
        catalog, where = [item for batch in iter_item_lines(path, 4096) for item in batch], str(path)
    if not catalog:
        raise ConfigError(f"the catalog at {where} holds no items")
    return catalog
