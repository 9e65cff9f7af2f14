"""User and item towers producing 768-d L2-normalised embeddings from ml-serving's feature tensors.

The item tower pools a hashed item-id embedding, the mean of its title n-gram and id-bag token
embeddings, and projected dense features; the user tower pools the embeddings of its history items with
the recency weights the preprocessing computed. By default both towers share the item-id table, so a
user lands near the items they interacted with from the first step.
"""

from __future__ import annotations

from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn
from torch.nn import functional

from voxrank.serving.recommend.features import DENSE_FEATURES, FeatureSpec

MODEL_NAME = "two-tower"


class TwoTowerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    features: FeatureSpec = FeatureSpec()
    embedding_dim: int = Field(default=64, ge=4)
    hidden_dim: int = Field(default=256, ge=4)
    output_dim: int = Field(default=768, ge=2)
    share_item_embeddings: bool = True


def _head(input_dim: int, config: TwoTowerConfig) -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(input_dim, config.hidden_dim), nn.GELU(), nn.Linear(config.hidden_dim, config.output_dim)
    )


def _lookup(table: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
    # Indexing the weight rather than calling the module: the ONNX exporter names an embedding op's
    # result "embedding", which collides with the towers' output of that name.
    return table.weight[ids]


def _masked_mean(embeddings: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    # A batched matrix product instead of multiply-then-sum: no [B, T, E] temporary, in either direction.
    total = weights.sum(dim=1, keepdim=True).clamp_min(1e-6)
    return torch.bmm(weights.unsqueeze(1), embeddings).squeeze(1) / total


class ItemTower(nn.Module):
    def __init__(self, config: TwoTowerConfig, item_embedding: nn.Embedding) -> None:
        super().__init__()
        self.item_embedding = item_embedding
        self.token_embedding = nn.Embedding(
            config.features.token_buckets, config.embedding_dim, padding_idx=0
        )
        self.dense = nn.Linear(len(DENSE_FEATURES), config.embedding_dim)
        self.head = _head(3 * config.embedding_dim, config)

    def forward(
        self, item_ids: torch.Tensor, item_tokens: torch.Tensor, item_dense: torch.Tensor
    ) -> torch.Tensor:
        tokens = _masked_mean(_lookup(self.token_embedding, item_tokens), (item_tokens > 0).to(torch.float32))
        features = torch.cat([_lookup(self.item_embedding, item_ids), tokens, self.dense(item_dense)], dim=-1)
        return functional.normalize(self.head(features), dim=-1)


class UserTower(nn.Module):
    def __init__(self, config: TwoTowerConfig, item_embedding: nn.Embedding) -> None:
        super().__init__()
        self.item_embedding = item_embedding
        self.head = _head(config.embedding_dim, config)

    def forward(self, history_ids: torch.Tensor, history_weights: torch.Tensor) -> torch.Tensor:
        weights = history_weights * (history_ids > 0).to(torch.float32)
        return functional.normalize(
            self.head(_masked_mean(_lookup(self.item_embedding, history_ids), weights)), dim=-1
        )


class TwoTower(nn.Module):
    def __init__(self, config: TwoTowerConfig) -> None:
        super().__init__()
        self.config = config
        buckets, dim = config.features.item_buckets, config.embedding_dim
        shared = nn.Embedding(buckets, dim, padding_idx=0)
        self.item_tower = ItemTower(config, shared)
        self.user_tower = UserTower(
            config, shared if config.share_item_embeddings else nn.Embedding(buckets, dim, padding_idx=0)
        )
        for embedding in (
            self.item_tower.item_embedding,
            self.item_tower.token_embedding,
            self.user_tower.item_embedding,
        ):
            nn.init.normal_(embedding.weight, std=0.1)

    def forward(
        self,
        users: dict[str, torch.Tensor],
        items: dict[str, torch.Tensor],
        pool: dict[str, torch.Tensor] | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """User, positive-item and (optional) negative-pool embeddings in one call, as DDP needs."""
        pool_embeddings = self.item_tower(**pool) if pool is not None else None
        return self.user_tower(**users), self.item_tower(**items), pool_embeddings


def build_model(model_name: str, model_config: dict[str, Any]) -> TwoTower:
    """The builder of contract 5 for task "two-tower"."""
    if model_name != MODEL_NAME:
        raise ValueError(f"unknown two-tower model {model_name!r}; the only one is {MODEL_NAME!r}")
    return TwoTower(TwoTowerConfig.model_validate(model_config))
