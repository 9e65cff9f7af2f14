"""Linking local speakers across windows: agglomerative clustering of their embeddings."""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import cut_tree, fcluster, linkage


def cluster_embeddings(
    embeddings: np.ndarray,
    threshold: float,
    *,
    num_clusters: int | None = None,
    min_clusters: int | None = None,
    max_clusters: int | None = None,
    min_cluster_size: int = 1,
) -> np.ndarray:
    """Cluster ids 0..S-1 (numbered by first occurrence) for `[N, D]` L2-normalised embeddings.

    Average linkage on cosine distance; the tree is cut at `threshold` unless `num_clusters` fixes the
    count, and the count is then clipped into [`min_clusters`, `max_clusters`]. Only clusters of at
    least `min_cluster_size` members count as speakers; the members of smaller ones join the nearest
    speaker's centroid, so a few odd embeddings (overlap, noise) cannot take a speaker's place.
    """
    count = len(embeddings)
    if count <= 1:
        return np.zeros(count, dtype=np.int64)
    tree = linkage(embeddings.astype(np.float64), method="average", metric="cosine")
    labels = fcluster(tree, t=threshold, criterion="distance")
    if not _large_clusters(labels, min_cluster_size):
        min_cluster_size = 1  # no cluster is that large: every one counts
    found = len(_large_clusters(labels, min_cluster_size))
    wanted = min(num_clusters or _clip(found, min_clusters, max_clusters), count)
    if wanted != found:
        labels = _cut_with_large_clusters(tree, wanted, min_cluster_size, count)
        if labels is None:
            # Too few embeddings for `wanted` large clusters: the requested count wins over the size.
            labels, min_cluster_size = _cut(tree, wanted), 1
    return _renumber_by_first_occurrence(_join_small_clusters(embeddings, labels, min_cluster_size, wanted))


def _large_clusters(labels: np.ndarray, min_size: int) -> list[int]:
    """Cluster labels with at least `min_size` members, largest first (ties: lower label first)."""
    values, sizes = np.unique(labels, return_counts=True)
    order = np.lexsort((values, -sizes))
    return [int(values[index]) for index in order if sizes[index] >= min_size]


def _cut_with_large_clusters(tree: np.ndarray, wanted: int, min_size: int, count: int) -> np.ndarray | None:
    """The coarsest cut of the tree that holds `wanted` clusters of at least `min_size` members, if any."""
    for clusters in range(wanted, count + 1):
        labels = _cut(tree, clusters)
        if len(_large_clusters(labels, min_size)) >= wanted:
            return labels
    return None


def _cut(tree: np.ndarray, clusters: int) -> np.ndarray:
    labels = fcluster(tree, t=clusters, criterion="maxclust")
    if len(np.unique(labels)) != clusters:
        # Merges at tied heights make maxclust stop short; cut_tree (slower) splits them exactly.
        labels = cut_tree(tree, n_clusters=clusters)[:, 0]
    return labels


def _join_small_clusters(
    embeddings: np.ndarray, labels: np.ndarray, min_size: int, wanted: int
) -> np.ndarray:
    """Members of clusters beyond the `wanted` largest of at least `min_size` members move to the most
    similar of those clusters' centroids (cosine)."""
    speakers = _large_clusters(labels, min_size)[:wanted]
    if len(speakers) == len(np.unique(labels)):
        return labels
    centroids = np.stack([embeddings[labels == speaker].mean(axis=0) for speaker in speakers])
    centroids /= np.linalg.norm(centroids, axis=1, keepdims=True) + 1e-12
    nearest = np.asarray(speakers)[np.argmax(embeddings @ centroids.T, axis=1)]
    return np.where(np.isin(labels, speakers), labels, nearest)


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
