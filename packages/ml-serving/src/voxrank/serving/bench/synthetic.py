"""Synthetic conversations of any length for timing: voiced turns of several speakers, pauses, overlap.

Only numpy: the serving environment must be able to make its own benchmark audio. Each speaker is a
harmonic source with its own pitch, vibrato and formant envelope, shaped by a syllable-rate envelope,
so that a diarization model sees speech-like energy and the pipeline clusters a realistic number of
local speakers. It is not meant to be understood, only timed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from voxrank.serving.audio import SAMPLE_RATE

HARMONICS = 12


@dataclass(frozen=True)
class Voice:
    pitch_hz: float
    formants_hz: tuple[float, float]
    gain: float


@dataclass(frozen=True)
class Conversation:
    waveform: np.ndarray
    turns: list[tuple[float, float, int]]
    """(start s, end s, speaker index) of every turn."""

    @property
    def duration_s(self) -> float:
        return len(self.waveform) / SAMPLE_RATE


def voices(count: int, rng: np.random.Generator) -> list[Voice]:
    return [
        Voice(
            pitch_hz=float(rng.uniform(90, 260)),
            formants_hz=(float(rng.uniform(300, 900)), float(rng.uniform(1000, 2500))),
            gain=float(rng.uniform(0.5, 1.0)),
        )
        for _ in range(count)
    ]


def voiced(voice: Voice, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """One turn of `voice`: harmonics under a formant envelope, with vibrato and syllable-rate bursts."""
    t = np.arange(round(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    pitch = voice.pitch_hz * (1 + 0.04 * np.sin(2 * np.pi * rng.uniform(3, 6) * t))
    phase = 2 * np.pi * np.cumsum(pitch) / SAMPLE_RATE
    signal = np.zeros_like(t)
    for harmonic in range(1, HARMONICS + 1):
        frequency = harmonic * voice.pitch_hz
        weight = sum(np.exp(-(((frequency - f) / 250) ** 2)) for f in voice.formants_hz) + 0.05
        signal += weight * np.sin(harmonic * phase)
    syllables = np.clip(np.sin(2 * np.pi * rng.uniform(3, 5) * t + rng.uniform(0, np.pi)), 0, None) ** 2
    return voice.gain * 0.6 * signal * syllables / HARMONICS


def synthetic_conversation(duration_s: float, speakers: int = 4, seed: int = 0) -> Conversation:
    """A `duration_s` conversation: turns of 1-6 s, pauses up to 0.8 s, one turn in ten overlapping."""
    rng = np.random.default_rng(seed)
    cast = voices(speakers, rng)
    total = round(duration_s * SAMPLE_RATE)
    waveform = (rng.standard_normal(total) * 1e-3).astype(np.float32)
    turns: list[tuple[float, float, int]] = []
    cursor, speaker = 0.0, 0
    while cursor < duration_s:
        length = min(float(rng.uniform(1.0, 6.0)), duration_s - cursor)
        start = round(cursor * SAMPLE_RATE)
        turn = voiced(cast[speaker], length, rng)[: total - start]
        waveform[start : start + len(turn)] += turn.astype(np.float32)
        turns.append((cursor, cursor + len(turn) / SAMPLE_RATE, speaker))
        overlap = rng.random() < 0.1
        cursor += length - (min(0.5, length / 2) if overlap else -float(rng.uniform(0.1, 0.8)))
        speaker = (speaker + int(rng.integers(1, speakers))) % speakers
    return Conversation(waveform, turns)


def wav_bytes(waveform: np.ndarray) -> bytes:
    """16-bit PCM WAV at 16 kHz, the format clients most often upload."""
    buffer = io.BytesIO()
    sf.write(buffer, waveform, SAMPLE_RATE, format="WAV", subtype="PCM_16")
    return buffer.getvalue()
