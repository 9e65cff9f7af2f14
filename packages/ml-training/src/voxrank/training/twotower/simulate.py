"""Plausible interactions over a catalog from latent user tastes, for the no-data quickstart.

Each genre, maker, series and person gets a random latent direction; an item's latent is the normalised
sum of its ids' directions plus item-specific noise, so items that share metadata are liked by the same
users, which is what the item tower can learn from features. Users mix one to three tastes and choose
items with a softmax over taste affinity plus a popularity prior; timestamps are spread over a period.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from voxrank.serving.recommend.items import Interaction, ItemRecord


class SimulationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    users: int = Field(default=2000, ge=1)
    mean_interactions: float = Field(default=30.0, gt=0)
    latent_dim: int = Field(default=32, ge=2)
    temperature: float = Field(default=0.1, gt=0, description="Lower: users stick closer to their tastes.")
    popularity_weight: float = Field(default=0.5, ge=0)
    item_noise: float = Field(default=0.5, ge=0)
    days: int = Field(default=365, ge=1)
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)
    seed: int = 0


def _item_latents(
    items: Sequence[ItemRecord], config: SimulationConfig, rng: np.random.Generator
) -> np.ndarray:
    directions: dict[str, np.ndarray] = {}
    latents = np.zeros((len(items), config.latent_dim))
    for row, item in enumerate(items):
        keys = [f"g{v}" for v in item.genre_ids] + [f"m{v}" for v in item.maker_ids]
        keys += [f"s{v}" for v in item.series_ids] + [f"p{v}" for v in item.people_ids]
        for key in keys:
            if key not in directions:
                directions[key] = rng.standard_normal(config.latent_dim)
            latents[row] += directions[key]
        latents[row] /= max(np.linalg.norm(latents[row]), 1e-9)
    latents += config.item_noise * rng.standard_normal(latents.shape) / np.sqrt(config.latent_dim)
    return latents / np.linalg.norm(latents, axis=1, keepdims=True)


def simulate_interactions(items: Sequence[ItemRecord], config: SimulationConfig) -> list[Interaction]:
    """Interactions of `config.users` synthetic users over `items`, sorted by time."""
    if not items:
        raise ValueError("cannot simulate interactions over an empty catalog")
    rng = np.random.default_rng(config.seed)
    latents = _item_latents(items, config, rng)
    popularity = rng.pareto(1.5, len(items))
    prior = config.popularity_weight * np.log1p(popularity)
    interactions: list[Interaction] = []
    for user in range(config.users):
        tastes = rng.standard_normal((int(rng.integers(1, 4)), config.latent_dim))
        tastes /= np.linalg.norm(tastes, axis=1, keepdims=True)
        affinity = (latents @ tastes.T).max(axis=1) / config.temperature + prior
        probabilities = np.exp(affinity - affinity.max())
        probabilities /= probabilities.sum()
        count = min(len(items), max(2, int(rng.poisson(config.mean_interactions))))
        chosen = rng.choice(len(items), size=count, replace=False, p=probabilities)
        offsets = np.sort(rng.uniform(0, config.days * 86400, size=count))
        interactions.extend(
            Interaction(f"u{user}", items[index].item_id, config.start + timedelta(seconds=float(offset)))
            for index, offset in zip(chosen, offsets, strict=True)
        )
    return sorted(interactions, key=lambda interaction: interaction.timestamp)
