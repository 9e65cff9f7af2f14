"""Linking local speakers across windows: agglomerative clustering of their embeddings."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import cut_tree, fcluster, linkage


def cluster_embeddings(
    embeddings: np.ndarray,
    threshold: float,
    num_clusters: int | None = None,
    min_clusters: int | None = None,
    max_clusters: int | None = None,
) -> np.ndarray:
    """Cluster ids 0..S-1 (numbered by first occurrence) for `[N, D]` L2-normalised embeddings.

    Average linkage on cosine distance; the tree is cut at `threshold` unless `num_clusters` fixes the
    count, and the count is then clipped into [`min_clusters`, `max_clusters`].
    """
    count = len(embeddings)
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if count == 1:
        return np.zeros(1, dtype=np.int64)
    tree = linkage(embeddings.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=threshold, criterion="distance")
    found = len(np.unique(labels))
    wanted = min(num_clusters or _clip(found, min_clusters, max_clusters), count)
    if wanted != found:
        labels = fcluster(tree, t=wanted, criterion="maxclust")
    if len(np.unique(labels)) != wanted:
        # Merges at tied heights make maxclust stop short; cut_tree (slower) splits them exactly.
        labels = cut_tree(tree, n_clusters=wanted)[:, 0]
    return _renumber_by_first_occurrence(labels)


def _clip(value: int, low: int | None, high: int | None) -> int:
    if low is not None:
        value = max(value, low)
    if high is not None:
        value = min(value, high)
    return value


def _renumber_by_first_occurrence(labels: np.ndarray) -> np.ndarray:
    _, first = np.unique(labels, return_index=True)
    order = labels[np.sort(first)]
    mapping = {label: index for index, label in enumerate(order)}
    return np.array([mapping[label] for label in labels], dtype=np.int64)
