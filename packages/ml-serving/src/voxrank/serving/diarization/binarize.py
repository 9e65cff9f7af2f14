"""From per-frame speaker activity to turns: hysteresis thresholds, gap filling, short-turn removal."""

from __future__ import annotations

import numpy as np


def hysteresis(activity: np.ndarray, onset: float, offset: float) -> np.ndarray:
    """Boolean mask along the last axis: on once above `onset`, off again once below `offset` (vectorised)."""
    events = np.where(activity > onset, 1, np.where(activity < offset, 0, -1))
    index = np.where(events >= 0, np.arange(activity.shape[-1]), 0)
    latest = np.maximum.accumulate(index, axis=-1)
    return np.take_along_axis(events, latest, axis=-1) == 1


def top_speakers(scores: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """`[T, S]` mask keeping, in each frame t, the `counts[t]` speakers with the highest scores."""
    order = np.argsort(-scores, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(scores.shape[1])[None, :].repeat(len(scores), axis=0), axis=1)
    return ranks < counts[:, None]


def active_regions(mask: np.ndarray) -> list[tuple[int, int]]:
    """`[start, end)` frame index pairs of the runs of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(), strict=True))


def smooth_regions(
    regions: list[tuple[float, float]], min_duration_on: float, min_duration_off: float
) -> list[tuple[float, float]]:
    """Fill gaps shorter than `min_duration_off`, then drop regions shorter than `min_duration_on`."""
    merged: list[tuple[float, float]] = []
    for start, end in regions:
        if merged and start - merged[-1][1] < min_duration_off:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return [(start, end) for start, end in merged if end - start >= min_duration_on]
