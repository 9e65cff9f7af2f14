"""Reference points every evaluation reports beside the model.

- `oracle_one_speaker`: the reference speech regions, all given to one speaker (no missed speech or false
  alarm; all confusion between speakers remains).
- `mfcc_clustering`: the reference speech regions cut into 1 s chunks, MFCC mean and standard deviation
  per chunk, agglomerative clustering (the serving pipeline's own clustering) into the speaker count.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct
from scipy.signal import stft

from voxrank.serving.diarization import Turn, cluster_embeddings
from voxrank.training.diarization.evaluation import EvaluationItem

SAMPLE_RATE = 16_000
CHUNK_S = 1.0


def speech_regions(turns: list[Turn]) -> list[tuple[float, float]]:
    """Union of all turns, as sorted disjoint regions."""
    regions: list[tuple[float, float]] = []
    for turn in sorted(turns):
        if regions and turn.start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], max(regions[-1][1], turn.end))
        else:
            regions.append((turn.start, turn.end))
    return regions


def oracle_one_speaker(item: EvaluationItem) -> list[Turn]:
    return [Turn(start, end, "speaker") for start, end in speech_regions(item.turns)]


def mfcc_clustering(item: EvaluationItem, num_speakers: int | None, threshold: float = 0.5) -> list[Turn]:
    chunks = [
        (start, min(start + CHUNK_S, end))
        for region_start, end in speech_regions(item.turns)
        for start in np.arange(region_start, end, CHUNK_S)
        if min(start + CHUNK_S, end) - start >= 0.1
    ]
    if not chunks:
        return []
    features = np.stack([_mfcc_statistics(item.waveform, start, end) for start, end in chunks])
    features = (features - features.mean(axis=0)) / (features.std(axis=0) + 1e-6)
    features /= np.linalg.norm(features, axis=1, keepdims=True) + 1e-9
    labels = cluster_embeddings(features, threshold, num_clusters=num_speakers)
    return [
        Turn(float(start), float(end), f"cluster{label}")
        for (start, end), label in zip(chunks, labels, strict=True)
    ]


def _mfcc_statistics(waveform: np.ndarray, start: float, end: float, coefficients: int = 20) -> np.ndarray:
    piece = waveform[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
    _, _, spectrum = stft(piece, fs=SAMPLE_RATE, nperseg=400, noverlap=240, nfft=512, boundary=None)
    power = np.abs(spectrum) ** 2
    mfcc = dct(np.log(_mel_matrix() @ power + 1e-8), axis=0, norm="ortho")[1 : coefficients + 1]
    return np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)])


def _mel_matrix(bands: int = 40, fft_bins: int = 257) -> np.ndarray:
    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595 * np.log10(1 + hz / 700)

    edges_mel = np.linspace(mel(np.array(60.0)), mel(np.array(7600.0)), bands + 2)
    edges = 700 * (10 ** (edges_mel / 2595) - 1)
    frequencies = np.linspace(0, SAMPLE_RATE / 2, fft_bins)
    rising = (frequencies[None, :] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    falling = (edges[2:, None] - frequencies[None, :]) / (edges[2:, None] - edges[1:-1, None])
    return np.maximum(0, np.minimum(rising, falling))
