"""Decoding audio into the one form every voxrank model consumes: 16 kHz mono float32 samples."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SAMPLE_RATE = 16_000


class AudioError(ValueError):
    """Audio that cannot be used; the message says why and is safe to show to a client."""


class UnsupportedAudioError(AudioError):
    """A container or codec that soundfile (libsndfile) cannot decode."""


class CorruptAudioError(AudioError):
    """A supported format whose content is broken, empty or unusable."""


@dataclass(frozen=True)
class AudioInfo:
    sample_rate: int
    channels: int
    frames: int
    format: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def probe(source: bytes | str | Path) -> AudioInfo:
    """Read the header only, so limits on duration can be enforced before decoding."""
    try:
        info = sf.info(_as_file(source))
    except sf.LibsndfileError as error:
        raise UnsupportedAudioError(f"unsupported or unreadable audio: {_reason(error)}") from error
    if info.samplerate <= 0 or info.channels <= 0:
        raise CorruptAudioError("audio header has no sample rate or no channels")
    return AudioInfo(info.samplerate, info.channels, info.frames, info.format)


def load_audio(source: bytes | str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode WAV/FLAC/OGG (anything libsndfile reads), mix down to mono, resample to `sample_rate`."""
    probe(source)
    try:
        samples, native_rate = sf.read(_as_file(source), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise CorruptAudioError(f"audio could not be decoded: {_reason(error)}") from error
    if samples.shape[0] == 0:
        raise CorruptAudioError("audio has no samples")
    return to_model_input(samples, native_rate, sample_rate)


def to_model_input(samples: np.ndarray, native_rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mix `samples` (frames or frames x channels) to mono and resample; float32, contiguous."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    if not np.all(np.isfinite(mono)):
        raise CorruptAudioError("audio contains NaN or infinite samples")
    if native_rate != sample_rate:
        mono = soxr.resample(mono, native_rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def _as_file(source: bytes | str | Path) -> io.BytesIO | str:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return str(source)


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
