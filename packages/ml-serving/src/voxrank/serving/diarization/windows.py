"""Cutting a recording into overlapping fixed-size windows, and adding window frames back onto a timeline."""

from __future__ import annotations

import numpy as np


def window_starts(num_samples: int, window_samples: int, step_samples: int) -> np.ndarray:
    """Start sample of every window, so that the last one reaches the end of the recording."""
    if num_samples <= window_samples:
        return np.zeros(1, dtype=np.int64)
    count = int(np.ceil((num_samples - window_samples) / step_samples)) + 1
    return np.arange(count, dtype=np.int64) * step_samples


def cut_windows(waveform: np.ndarray, starts: np.ndarray, window_samples: int) -> np.ndarray:
    """`[W, window_samples]` float32 copy of the windows at `starts`; a window past the end is zero-padded."""
    windows = np.zeros((len(starts), window_samples), dtype=np.float32)
    for row, start in enumerate(starts.tolist()):
        piece = waveform[start : start + window_samples]
        windows[row, : len(piece)] = piece
    return windows


def overlap_add(per_window: np.ndarray, frame_offsets: np.ndarray, total_frames: int) -> np.ndarray:
    """Average `[W, F, S]` window frames placed at `frame_offsets` onto a `[total_frames, S]` timeline."""
    frames, speakers = per_window.shape[1:]
    length = max(total_frames, int(frame_offsets[-1]) + frames)
    summed = np.zeros((length, speakers), dtype=np.float32)
    counts = np.zeros(length, dtype=np.float32)
    for offset, window in zip(frame_offsets, per_window, strict=True):
        summed[offset : offset + frames] += window
        counts[offset : offset + frames] += 1
    return summed[:total_frames] / np.maximum(counts[:total_frames, None], 1)
