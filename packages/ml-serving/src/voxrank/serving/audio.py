"""Decoding audio into the one form every voxrank model consumes: 16 kHz mono float32 samples.

libsndfile (through soundfile) decodes every format. Plain 16-bit PCM WAV, what clients upload most,
is read with the standard library's `wave` instead: the same samples (libsndfile also scales by
1/32768) for a tenth of the CPU, which matters on the request path. Anything else, and any WAV whose
data does not match its header, goes to libsndfile, so errors read the same for every format.
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SAMPLE_RATE = 16_000
PCM16_SCALE = 1 / 32768
_WAVE_ERRORS = (wave.Error, EOFError, OSError)


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
    plain_wav = _pcm16_wav_info(source)
    if plain_wav is not None:
        return plain_wav
    try:
        info = sf.info(_as_file(source))
    except sf.LibsndfileError as error:
        raise UnsupportedAudioError(f"unsupported or unreadable audio: {_reason(error)}") from error
    if info.samplerate <= 0 or info.channels <= 0:
        raise CorruptAudioError("audio header has no sample rate or no channels")
    return AudioInfo(info.samplerate, info.channels, info.frames, info.format)


def load_audio(source: bytes | str | Path, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Decode WAV/FLAC/OGG (anything libsndfile reads), mix down to mono, resample to `sample_rate`."""
    decoded = _read_pcm16_wav(source)
    if decoded is None:
        probe(source)
        try:
            decoded = sf.read(_as_file(source), dtype="float32", always_2d=True)
        except (sf.LibsndfileError, RuntimeError) as error:
            raise CorruptAudioError(f"audio could not be decoded: {_reason(error)}") from error
    samples, native_rate = decoded
    if samples.shape[0] == 0:
        raise CorruptAudioError("audio has no samples")
    return to_model_input(samples, native_rate, sample_rate)


def to_model_input(samples: np.ndarray, native_rate: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mix `samples` (frames or frames x channels) to mono and resample; float32, contiguous."""
    mono = samples if samples.ndim == 1 else samples[:, 0] if samples.shape[1] == 1 else samples.mean(axis=1)
    if not np.all(np.isfinite(mono)):
        raise CorruptAudioError("audio contains NaN or infinite samples")
    if native_rate != sample_rate:
        mono = soxr.resample(mono, native_rate, sample_rate, quality="HQ")
    return np.ascontiguousarray(mono, dtype=np.float32)


def _pcm16_info(reader: wave.Wave_read) -> AudioInfo | None:
    if reader.getsampwidth() != 2 or reader.getframerate() <= 0:
        return None
    return AudioInfo(reader.getframerate(), reader.getnchannels(), reader.getnframes(), "WAV")


def _pcm16_wav_info(source: bytes | str | Path) -> AudioInfo | None:
    """The header of a plain 16-bit PCM WAV; None for any other format."""
    try:
        with wave.open(_as_file(source), "rb") as reader:
            return _pcm16_info(reader)
    except _WAVE_ERRORS:
        return None


def _read_pcm16_wav(source: bytes | str | Path) -> tuple[np.ndarray, int] | None:
    """`(frames x channels float32, rate)` of a plain 16-bit PCM WAV whose data fills its header."""
    try:
        with wave.open(_as_file(source), "rb") as reader:
            info = _pcm16_info(reader)
            data = reader.readframes(info.frames) if info is not None else b""
    except _WAVE_ERRORS:
        return None
    if info is None or len(data) != info.frames * info.channels * 2:
        return None
    samples = np.frombuffer(data, dtype="<i2").reshape(info.frames, info.channels).astype(np.float32)
    return samples * np.float32(PCM16_SCALE), info.sample_rate


def _as_file(source: bytes | str | Path) -> io.BytesIO | str:
    if isinstance(source, bytes):
        return io.BytesIO(source)
    return str(source)


def _reason(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
