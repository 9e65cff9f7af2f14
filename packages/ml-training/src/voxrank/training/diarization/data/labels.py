"""Frame-level speaker labels at the model's frame rate, and the choice of K local speakers per window."""

from __future__ import annotations

import numpy as np

from voxrank.serving.diarization import Turn


def turns_to_frames(turns: list[Turn], speakers: list[str], num_frames: int, frame_s: float) -> np.ndarray:
    """`[num_frames, len(speakers)]` 0/1: a frame is active when its centre lies inside a turn."""
    centres = (np.arange(num_frames) + 0.5) * frame_s
    labels = np.zeros((num_frames, len(speakers)), dtype=np.float32)
    column = {speaker: index for index, speaker in enumerate(speakers)}
    for turn in turns:
        labels[(centres >= turn.start) & (centres < turn.end), column[turn.speaker]] = 1.0
    return labels


def energy_activity(samples: np.ndarray, hop: int, floor_db: float = -35.0) -> np.ndarray:
    """Per-frame speech mask of a clean single-speaker utterance: energy within `floor_db` of its peak."""
    frames = len(samples) // hop
    if frames == 0:
        return np.zeros(0, dtype=bool)
    power = (samples[: frames * hop].reshape(frames, hop) ** 2).mean(axis=1)
    active = power > power.max() * 10 ** (floor_db / 10)
    # Bridge the short dips between syllables (<= 100 ms), which annotators label as speech.
    closed = np.convolve(active.astype(np.float32), np.ones(5), mode="same") > 0
    return closed & (np.convolve(closed.astype(np.float32), np.ones(5), mode="same") >= 5) | active


def select_local_speakers(
    labels: np.ndarray, speaker_ids: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Keep the K most active speakers of a window, ordered by first activity; pad with silent slots (-1)."""
    talk = labels.sum(axis=0)
    present = np.flatnonzero(talk > 0)
    kept = present[np.argsort(-talk[present], kind="stable")[:k]]
    first = [int(np.argmax(labels[:, index] > 0)) for index in kept]
    kept = kept[np.argsort(first, kind="stable")]
    local = np.zeros((labels.shape[0], k), dtype=np.float32)
    ids = np.full(k, -1, dtype=np.int64)
    local[:, : len(kept)] = labels[:, kept]
    ids[: len(kept)] = speaker_ids[kept]
    return local, ids
