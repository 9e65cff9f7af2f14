"""Export configs of the two towers for `voxrank-train export two-tower-user|two-tower-item`.

Both load the same two-tower checkpoint and export one tower each; the feature spec the towers were
trained with goes into the manifest's preprocessing, where serving's `Tower.from_manifest` reads it.
The task gate is Recall@10 on the checkpoint's own time split, with the exported tower on one side and
the torch model's other tower on the other, so the delta measures the export alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from voxrank.serving.recommend.features import DENSE_FEATURES
from voxrank.serving.recommend.store import ExactStore
from voxrank.training.export.checkpoint import CheckpointInfo
from voxrank.training.export.config import (
    ExportConfig,
    Feeds,
    Runner,
    TaskMetric,
    TensorAxes,
    register_export_config,
)
from voxrank.training.export.errors import CheckpointError, ExportError
from voxrank.training.twotower.checkpoint import CheckpointError as TwoTowerCheckpointError
from voxrank.training.twotower.checkpoint import model_from_checkpoint
from voxrank.training.twotower.config import TwoTowerTrainingConfig
from voxrank.training.twotower.embed import embed_histories, embed_items
from voxrank.training.twotower.metrics import ranking_report
from voxrank.training.twotower.model import TwoTower

MAX_RECALL_DELTA = 0.005
"""Largest drop of Recall@10 (absolute) an export may cause; fp32 parity makes it ~0."""
EVALUATION_USERS = 2000


class _UserTowerOutputs(nn.Module):
    """The exporter wants named positional inputs and the outputs as a tuple in `outputs` order."""

    def __init__(self, model: TwoTower) -> None:
        super().__init__()
        self.tower = model.user_tower

    def forward(self, history_ids: torch.Tensor, history_weights: torch.Tensor) -> tuple[torch.Tensor]:
        return (self.tower(history_ids, history_weights),)


class _ItemTowerOutputs(nn.Module):
    def __init__(self, model: TwoTower) -> None:
        super().__init__()
        self.tower = model.item_tower

    def forward(
        self, item_ids: torch.Tensor, item_tokens: torch.Tensor, item_dense: torch.Tensor
    ) -> tuple[torch.Tensor]:
        return (self.tower(item_ids, item_tokens, item_dense),)


class TowerExportConfig(ExportConfig):
    quantization = "dynamic"
    outputs = (TensorAxes("embedding", {0: "batch"}),)

    def load(self, checkpoint_path: Path) -> tuple[nn.Module, CheckpointInfo]:
        try:
            model, checkpoint = model_from_checkpoint(checkpoint_path)
        except TwoTowerCheckpointError as error:
            raise CheckpointError(str(error)) from error
        self.model: TwoTower = model
        self.training_config = checkpoint.get("config", {})
        wrapper = _UserTowerOutputs(model) if self.task == "two-tower-user" else _ItemTowerOutputs(model)
        return wrapper.eval(), CheckpointInfo.from_checkpoint(checkpoint_path, checkpoint)

    @property
    def spec(self) -> Any:
        return self.model.config.features

    def _feeds(self, batch: int, width: int, seed: int) -> Feeds:
        raise NotImplementedError

    def example_inputs(self) -> Feeds:
        return self._feeds(3, 0, seed=0)

    def validation_inputs(self) -> list[Feeds]:
        return [
            self._feeds(batch, width, seed)
            for seed, (batch, width) in enumerate([(1, 0), (7, 0), (2, 5), (16, 1)])
        ]

    def golden_inputs(self) -> Feeds:
        return self._feeds(2, 0, seed=7)

    def latency_inputs(self) -> Feeds:
        return self._feeds(1, 0, seed=8)

    def calibration_inputs(self) -> list[Feeds]:
        return [self._feeds(32, 0, seed=100 + index) for index in range(4)]

    def preprocessing(self) -> dict[str, Any]:
        return self.spec.to_manifest()

    def postprocessing(self) -> dict[str, Any]:
        return {"normalised": True, "similarity": "inner product", "dimension": self.model.config.output_dim}

    def task_metric(self) -> TaskMetric:
        if not self.training_config:
            raise ExportError("the checkpoint holds no training config: the Recall@10 gate has no data")
        from voxrank.training.twotower.data import load_split

        try:
            split = load_split(TwoTowerTrainingConfig.model_validate(self.training_config).data)
        except (OSError, ValueError) as error:
            raise ExportError(f"the Recall@10 gate cannot load the checkpoint's data: {error}") from error
        users = split.test_users[:EVALUATION_USERS]
        return TaskMetric(
            "recall@10",
            lambda runner: self._recall(runner, split, users),
            max_delta=MAX_RECALL_DELTA,
            higher_is_better=True,
        )

    def _recall(self, runner: Runner, split: Any, users: list[str]) -> dict[str, float]:
        raise NotImplementedError


def _search_recall(
    item_vectors: np.ndarray, user_vectors: np.ndarray, split: Any, users: list[str]
) -> dict[str, float]:
    store = ExactStore()
    store.replace([item.item_id for item in split.catalog], item_vectors, "export")
    seen = [set(split.histories[user].item_ids) for user in users]
    found = store.search(user_vectors, 10, "export", exclude=seen)
    recommendations = {user: result.item_ids for user, result in zip(users, found, strict=True)}
    report = ranking_report(
        recommendations, {user: split.targets[user] for user in users}, [10], len(split.catalog)
    )
    return {"recall@10": report["recall@10"], "ndcg@10": report["ndcg@10"]}


@register_export_config
class UserTowerExportConfig(TowerExportConfig):
    family = "two-tower-user"
    repository_name = "two-tower-user"
    task = "two-tower-user"
    inputs = (
        TensorAxes("history_ids", {0: "batch", 1: "history"}),
        TensorAxes("history_weights", {0: "batch", 1: "history"}),
    )

    def _feeds(self, batch: int, width: int, seed: int) -> Feeds:
        rng = np.random.default_rng(seed)
        length = self.spec.max_history + width
        ids = rng.integers(1, self.spec.item_buckets, (batch, length))
        ids[:, length // 2 + seed % 3 :] = 0  # padded tails, as short histories have
        weights = np.where(ids > 0, rng.uniform(0.2, 1.0, ids.shape), 0.0)
        return {"history_ids": ids.astype(np.int64), "history_weights": weights.astype(np.float32)}

    def _recall(self, runner: Runner, split: Any, users: list[str]) -> dict[str, float]:
        from voxrank.serving.recommend.features import encode_histories

        histories = [split.histories[user] for user in users]
        user_vectors = np.concatenate(
            [
                runner(encode_histories(histories[start : start + 512], self.spec))["embedding"]
                for start in range(0, len(histories), 512)
            ]
        )
        return _search_recall(embed_items(self.model, split.catalog), user_vectors, split, users)


@register_export_config
class ItemTowerExportConfig(TowerExportConfig):
    family = "two-tower-item"
    repository_name = "two-tower-item"
    task = "two-tower-item"
    inputs = (
        TensorAxes("item_ids", {0: "batch"}),
        TensorAxes("item_tokens", {0: "batch", 1: "tokens"}),
        TensorAxes("item_dense", {0: "batch"}),
    )

    def _feeds(self, batch: int, width: int, seed: int) -> Feeds:
        rng = np.random.default_rng(seed)
        tokens = rng.integers(1, self.spec.token_buckets, (batch, self.spec.item_token_width + width))
        tokens[:, tokens.shape[1] // 3 + seed % 5 :] = 0
        return {
            "item_ids": rng.integers(1, self.spec.item_buckets, batch).astype(np.int64),
            "item_tokens": tokens.astype(np.int64),
            "item_dense": rng.standard_normal((batch, len(DENSE_FEATURES))).astype(np.float32),
        }

    def _recall(self, runner: Runner, split: Any, users: list[str]) -> dict[str, float]:
        from voxrank.serving.recommend.features import encode_items

        catalog = split.catalog
        item_vectors = np.concatenate(
            [
                runner(encode_items(catalog[start : start + 1024], self.spec))["embedding"]
                for start in range(0, len(catalog), 1024)
            ]
        )
        user_vectors = embed_histories(self.model, [split.histories[user] for user in users])
        return _search_recall(item_vectors, user_vectors, split, users)
