"""Teacher speaker embeddings for distillation: resemblyzer's pretrained d-vector encoder.

The encoder's weights ship inside the `resemblyzer` wheel (extra `resemblyzer` of this package), so
nothing is downloaded. Each training speaker gets one unit-norm embedding, computed once from all of
its single-speaker audio and cached beside the run's checkpoints.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from voxrank.training.diarization.data.windows import LabelledRecording

SAMPLE_RATE = 16_000
TEACHER_DIM = 256
CACHE_NAME = "teacher-embeddings.npz"
# Shorter single-speaker stretches of real recordings are mostly backchannels and turn edges.
MIN_REGION_FRAMES = 25


class TeacherError(RuntimeError):
    """The teacher cannot be used: resemblyzer is not installed."""


def single_speaker_audio(recording: LabelledRecording, hop: int) -> dict[int, np.ndarray]:
    """Per global speaker id, the stretches of `recording` where that speaker alone is labelled, joined
    (one by one they are often shorter than the second the teacher needs once silence is trimmed)."""
    alone = recording.labels.sum(axis=1) == 1
    audio = {}
    for column, speaker_id in enumerate(recording.speaker_ids.tolist()):
        mask = np.concatenate([[0], (alone & (recording.labels[:, column] > 0)).astype(np.int8), [0]])
        edges = np.diff(mask)
        pieces = [
            recording.waveform[start * hop : end * hop]
            for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
            if end - start >= MIN_REGION_FRAMES
        ]
        if speaker_id >= 0 and pieces:
            audio[speaker_id] = np.concatenate(pieces)
    return audio


def teacher_embeddings(speaker_audio: list[list[np.ndarray]], names: list[str], cache: Path) -> np.ndarray:
    """`[S, TEACHER_DIM]` embeddings of the speakers `names` (audio in the same order), read from `cache`
    when it was made for exactly these names. A speaker without a second of speech keeps a zero row,
    which the distillation loss skips."""
    if cache.is_file():
        stored = np.load(cache)
        if stored["names"].tolist() == names:
            return np.asarray(stored["embeddings"], dtype=np.float32)
    embeddings = np.zeros((len(names), TEACHER_DIM), dtype=np.float32)
    # The encoder initialises torch modules before loading its weights; forking keeps the run's random
    # stream the same whether the embeddings come from the cache or not.
    with torch.random.fork_rng():
        encoder, preprocess = _encoder()
        for row, pieces in enumerate(speaker_audio):
            wavs = [preprocess(piece) for piece in pieces if np.any(piece)]  # silence has no volume
            wavs = [wav for wav in wavs if len(wav) >= SAMPLE_RATE]
            if wavs:
                embeddings[row] = encoder.embed_speaker(wavs)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, names=np.array(names), embeddings=embeddings)
    return embeddings


def centred(embeddings: np.ndarray) -> np.ndarray:
    """The teacher's embeddings minus their mean, renormalised (zero rows stay zero).

    Its d-vectors are all non-negative, so any two speakers already share a cosine similarity of about
    0.5: a student matching the mean direction looks good while telling nobody apart. Centred targets
    keep only what separates the speakers.
    """
    present = np.linalg.norm(embeddings, axis=1) > 0
    shifted = np.where(present[:, None], embeddings - embeddings[present].mean(axis=0), 0.0)
    norms = np.linalg.norm(shifted, axis=1, keepdims=True)
    return (shifted / np.maximum(norms, 1e-9)).astype(np.float32)


def _encoder() -> tuple[Any, Any]:
    try:
        with warnings.catch_warnings():
            # webrtcvad, a resemblyzer dependency, imports the deprecated pkg_resources.
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder, preprocess_wav
    except ImportError as error:
        raise TeacherError(
            "distillation needs resemblyzer: pip install 'voxrank-ml-training[resemblyzer]'"
        ) from error
    return VoiceEncoder("cpu", verbose=False), preprocess_wav
