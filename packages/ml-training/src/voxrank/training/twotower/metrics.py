"""Ranking metrics over a time split: Recall@K, NDCG@K (binary relevance) and catalog coverage."""

from __future__ import annotations

import math
from collections.abc import Sequence


def recall_at(recommended: Sequence[str], targets: set[str], k: int) -> float:
    """Share of the user's target items found in the top `k`."""
    return len(set(recommended[:k]) & targets) / len(targets)


def ndcg_at(recommended: Sequence[str], targets: set[str], k: int) -> float:
    gain = sum(1.0 / math.log2(rank + 2) for rank, item in enumerate(recommended[:k]) if item in targets)
    ideal = sum(1.0 / math.log2(rank + 2) for rank in range(min(len(targets), k)))
    return gain / ideal


def ranking_report(
    recommendations: dict[str, list[str]], targets: dict[str, set[str]], ks: Sequence[int], catalog_size: int
) -> dict[str, float]:
    """Mean Recall@k for each k, NDCG@10 and the share of the catalog that appears in some top 10."""
    users = sorted(targets)
    report = {
        f"recall@{k}": _mean([recall_at(recommendations.get(user, []), targets[user], k) for user in users])
        for k in ks
    }
    report["ndcg@10"] = _mean([ndcg_at(recommendations.get(user, []), targets[user], 10) for user in users])
    shown = {item for user in users for item in recommendations.get(user, [])[:10]}
    report["coverage@10"] = len(shown) / catalog_size if catalog_size else 0.0
    return report


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0
