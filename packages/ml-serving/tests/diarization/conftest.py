"""A numpy `Segmenter` that recognises pure tones, so pipeline tests have an exactly known answer."""

from __future__ import annotations

import numpy as np
import pytest

SAMPLE_RATE = 16_000
TONES_HZ = (300.0, 1100.0, 2500.0)
FRAMES = 100


class ToneSegmenter:
    """Local speaker slots are rotated per window, so only the embeddings link speakers across windows."""

    window_samples = 5 * SAMPLE_RATE

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch, samples = windows.shape
        frames = windows.reshape(batch, FRAMES, samples // FRAMES)
        spectrum = np.abs(np.fft.rfft(frames, axis=-1))
        freqs = np.fft.rfftfreq(samples // FRAMES, 1 / SAMPLE_RATE)
        bins = [int(np.argmin(np.abs(freqs - tone))) for tone in TONES_HZ]
        energy = spectrum[..., bins] / (samples // FRAMES / 4)
        activity = np.clip(energy, 0, 1).astype(np.float32)
        shift = self.calls % len(TONES_HZ)
        self.calls += 1
        embeddings = np.broadcast_to(np.eye(len(TONES_HZ), dtype=np.float32), (batch, 3, 3))
        return np.roll(activity, shift, axis=2), np.roll(embeddings, shift, axis=1).copy()


def make_tone_conversation(turns: list[tuple[float, float, int]], duration: float) -> np.ndarray:
    """Sum of tones: speaker index i sounds `TONES_HZ[i]` during each of its (start, end) turns."""
    time = np.arange(int(duration * SAMPLE_RATE)) / SAMPLE_RATE
    waveform = np.zeros_like(time)
    for start, end, speaker in turns:
        inside = (time >= start) & (time < end)
        waveform[inside] += 0.5 * np.sin(2 * np.pi * TONES_HZ[speaker] * time[inside])
    return waveform.astype(np.float32)


@pytest.fixture
def segmenter() -> ToneSegmenter:
    return ToneSegmenter()


@pytest.fixture
def tone_conversation():
    return make_tone_conversation
