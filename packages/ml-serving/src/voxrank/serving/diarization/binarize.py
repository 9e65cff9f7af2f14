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
    mask = np.zeros(scores.shape, dtype=bool)
    remaining = scores.astype(np.float32, copy=True)
    rows = np.arange(len(scores))
    # Counts are at most K (3), so a few argmax passes beat sorting every frame's S scores.
    for rank in range(min(int(counts.max(initial=0)), scores.shape[1])):
        best = remaining.argmax(axis=1)
        chosen = counts > rank
        mask[rows[chosen], best[chosen]] = True
        remaining[rows, best] = -np.inf
    return mask


def active_regions(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive) frame indices of the runs of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def smooth_regions(
    starts: np.ndarray, ends: np.ndarray, min_duration_on: float, min_duration_off: float
) -> tuple[np.ndarray, np.ndarray]:
    """Fill gaps shorter than `min_duration_off`, then drop regions shorter than `min_duration_on`."""
    if len(starts) == 0:
        return starts, ends
    kept_gaps = starts[1:] - ends[:-1] >= min_duration_off
    starts = starts[np.concatenate([[True], kept_gaps])]
    ends = ends[np.concatenate([kept_gaps, [True]])]
    long_enough = ends - starts >= min_duration_on
    return starts[long_enough], ends[long_enough]
