"""Run the exported towers: features in (from `features`), 768-d L2-normalised embeddings out."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from voxrank.serving.recommend.features import FeatureSpec, encode_histories, encode_items
from voxrank.serving.recommend.items import ItemRecord, UserHistory

EMBEDDING_OUTPUT = "embedding"
USER_TASK = "two-tower-user"
ITEM_TASK = "two-tower-item"

Runner = Callable[[Mapping[str, np.ndarray]], Mapping[str, np.ndarray]]


class TowerMismatchError(ValueError):
    """A model is not the tower it is used as, or its manifest lacks the feature spec."""


@dataclass(frozen=True)
class Tower:
    """One exported tower: how to run it, its version, and the feature spec it was trained with."""

    runner: Runner
    version: str
    spec: FeatureSpec

    @classmethod
    def from_manifest(cls, runner: Runner, manifest: Any, task: str) -> Tower:
        if manifest.task != task:
            raise TowerMismatchError(f"model {manifest.name!r} is a {manifest.task} model, not {task}")
        if "features" not in manifest.preprocessing:
            raise TowerMismatchError(f"model {manifest.name!r} has no feature spec in its manifest")
        return cls(runner, manifest.version, FeatureSpec.from_manifest(manifest.preprocessing))

    def embed_users(self, histories: Sequence[UserHistory]) -> np.ndarray:
        return np.asarray(
            self.runner(encode_histories(histories, self.spec))[EMBEDDING_OUTPUT], dtype=np.float32
        )

    def embed_items(self, items: Sequence[ItemRecord]) -> np.ndarray:
        return np.asarray(self.runner(encode_items(items, self.spec))[EMBEDDING_OUTPUT], dtype=np.float32)
