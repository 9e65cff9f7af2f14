import io

import numpy as np
import pytest
import soundfile as sf

from voxrank.serving.audio import (
    SAMPLE_RATE,
    CorruptAudioError,
    UnsupportedAudioError,
    load_audio,
    probe,
)


def _encode(samples: np.ndarray, rate: int, fmt: str) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["WAV", "FLAC", "OGG"])
def test_stereo_44k1_is_mixed_to_mono_and_resampled_to_16k(fmt: str) -> None:
    rate = 44_100
    t = np.arange(rate) / rate
    tone = 0.5 * np.sin(2 * np.pi * 440 * t)
    stereo = np.stack([tone, tone], axis=1).astype(np.float32)

    decoded = load_audio(_encode(stereo, rate, fmt))

    assert decoded.dtype == np.float32
    assert decoded.ndim == 1
    assert abs(decoded.shape[0] - SAMPLE_RATE) <= 1
    spectrum = np.abs(np.fft.rfft(decoded))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / decoded.shape[0] - 440) < 2


def test_probe_reports_duration_without_decoding() -> None:
    data = _encode(np.zeros(32_000, dtype=np.float32), SAMPLE_RATE, "WAV")
    assert probe(data).duration_s == pytest.approx(2.0)


def test_bytes_that_are_not_audio_are_unsupported() -> None:
    with pytest.raises(UnsupportedAudioError, match="unsupported"):
        load_audio(b"this is plain text, not a RIFF file")


def test_truncated_wav_is_an_error_not_a_crash() -> None:
    data = _encode(np.zeros(16_000, dtype=np.float32), SAMPLE_RATE, "WAV")
    with pytest.raises((CorruptAudioError, UnsupportedAudioError)):
        load_audio(data[:30])


def test_empty_wav_is_corrupt() -> None:
    data = _encode(np.zeros(0, dtype=np.float32), SAMPLE_RATE, "WAV")
    with pytest.raises(CorruptAudioError, match="no samples"):
        load_audio(data)
