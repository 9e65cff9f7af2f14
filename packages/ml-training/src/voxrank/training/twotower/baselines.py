"""Baselines evaluated in the same run as the two-tower model: popularity, item-kNN, implicit ALS."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse

from voxrank.training.twotower.split import TimeSplit


def interaction_matrix(split: TimeSplit, users: Sequence[str]) -> sparse.csr_matrix:
    """Binary users x catalog matrix of the training period (rows in the order of `users`)."""
    column = {item.item_id: index for index, item in enumerate(split.catalog)}
    rows, columns = [], []
    for row, user in enumerate(users):
        history = split.histories.get(user)
        for item_id in set(history.item_ids if history else ()):
            rows.append(row)
            columns.append(column[item_id])
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, columns)), shape=(len(users), len(split.catalog)))


def top_unseen(
    scores: np.ndarray, seen: sparse.csr_matrix, catalog_ids: Sequence[str], k: int
) -> list[list[str]]:
    """Per row, the `k` best-scoring columns that the row's user has not interacted with."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    scores[seen.nonzero()] = -np.inf
    k = min(k, scores.shape[1])
    best = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(scores, best, axis=1).argsort(axis=1)[:, ::-1]
    ranked = np.take_along_axis(best, order, axis=1)
    return [
        [
            catalog_ids[column]
            for column, score in zip(row, scores[index, row], strict=True)
            if np.isfinite(score)
        ]
        for index, row in enumerate(ranked)
    ]


def _recommendations(
    split: TimeSplit, users: Sequence[str], scores: np.ndarray, k: int
) -> dict[str, list[str]]:
    catalog_ids = [item.item_id for item in split.catalog]
    ranked = top_unseen(scores, interaction_matrix(split, users), catalog_ids, k)
    return dict(zip(users, ranked, strict=True))


def popularity(split: TimeSplit, users: Sequence[str], k: int) -> dict[str, list[str]]:
    """The items most users interacted with in the training period."""
    counts = np.asarray(interaction_matrix(split, sorted(split.histories)).sum(axis=0)).ravel()
    return _recommendations(split, users, np.tile(counts, (len(users), 1)), k)


def item_knn(split: TimeSplit, users: Sequence[str], k: int) -> dict[str, list[str]]:
    """Sum of cosine similarities (on co-occurrence across users) between history items and candidates."""
    everyone = interaction_matrix(split, sorted(split.histories))
    cooccurrence = (everyone.T @ everyone).tocsr().astype(np.float32)
    norms = np.sqrt(np.maximum(cooccurrence.diagonal(), 1.0))
    inverse = sparse.diags(1.0 / norms)
    similarity = (inverse @ cooccurrence @ inverse).tolil()
    similarity.setdiag(0.0)
    scores = interaction_matrix(split, users) @ similarity.tocsr()
    return _recommendations(split, users, scores.toarray(), k)


def implicit_als(
    split: TimeSplit, users: Sequence[str], k: int, *, factors: int = 64, iterations: int = 15, seed: int = 0
) -> dict[str, list[str]] | None:
    """Matrix factorisation by alternating least squares (the `implicit` package), None if not installed."""
    try:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    everyone_ids = sorted(split.histories)
    everyone = interaction_matrix(split, everyone_ids)
    # implicit parallelises itself; a second BLAS thread pool underneath only contends with it.
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(factors=factors, iterations=iterations, random_state=seed)
        model.fit(everyone * 20.0, show_progress=False)
    row = {user: index for index, user in enumerate(everyone_ids)}
    user_factors = model.user_factors[[row[user] for user in users]]
    return _recommendations(split, users, user_factors @ model.item_factors.T, k)
