"""Embedding catalogs and histories with a trained model, and ranking with serving's exact store."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from voxrank.serving.recommend.features import encode_histories, encode_items
from voxrank.serving.recommend.items import ItemRecord, UserHistory
from voxrank.serving.recommend.store import ExactStore
from voxrank.training.twotower.model import TwoTower

BATCH = 2048


def tensors(arrays: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {name: torch.from_numpy(values) for name, values in arrays.items()}


@torch.no_grad()
def _in_batches(
    tower: Callable[..., torch.Tensor], encode: Callable[..., Any], records: Sequence[Any], model: TwoTower
) -> np.ndarray:
    spec = model.config.features
    chunks = [
        tower(**tensors(encode(records[start : start + BATCH], spec))).numpy()
        for start in range(0, len(records), BATCH)
    ]
    return np.concatenate(chunks) if chunks else np.empty((0, model.config.output_dim), dtype=np.float32)


def embed_items(model: TwoTower, items: Sequence[ItemRecord]) -> np.ndarray:
    return _in_batches(model.item_tower, encode_items, items, model)


def embed_histories(model: TwoTower, histories: Sequence[UserHistory]) -> np.ndarray:
    return _in_batches(model.user_tower, encode_histories, histories, model)


def recommend(
    model: TwoTower, catalog: Sequence[ItemRecord], histories: Sequence[UserHistory], k: int
) -> list[list[str]]:
    """Top-k unseen catalog items per history, ranked exactly as serving's default store does."""
    was_training = model.training
    model.eval()
    store = ExactStore()
    store.replace([item.item_id for item in catalog], embed_items(model, catalog), "evaluation")
    queries = embed_histories(model, histories)
    model.train(was_training)
    results = store.search(queries, k, "evaluation", exclude=[set(history.item_ids) for history in histories])
    return [result.item_ids for result in results]
