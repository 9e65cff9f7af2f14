import io

import numpy as np
import pytest
import soundfile as sf

from voxrank.serving.audio import (
    SAMPLE_RATE,
    AudioInfo,
    CorruptAudioError,
    UnsupportedAudioError,
    load_audio,
    probe,
)


def _encode(samples: np.ndarray, rate: int, fmt: str, subtype: str | None = None) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
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


@pytest.mark.parametrize("channels", [1, 2])
def test_pcm16_wav_decodes_to_the_same_samples_as_libsndfile(channels: int) -> None:
    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, size=(8_000, channels)).astype(np.float32)
    data = _encode(samples, 8_000, "WAV", "PCM_16")
    reference, rate = sf.read(io.BytesIO(data), dtype="float32", always_2d=True)

    decoded = load_audio(data, sample_rate=rate)

    np.testing.assert_array_equal(decoded, reference.mean(axis=1) if channels > 1 else reference[:, 0])
    assert probe(data) == AudioInfo(rate, channels, 8_000, "WAV")


@pytest.mark.parametrize("subtype", ["PCM_24", "FLOAT", "PCM_U8"])
def test_other_wav_encodings_still_decode(subtype: str) -> None:
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(SAMPLE_RATE) / SAMPLE_RATE)).astype(np.float32)
    data = _encode(tone, SAMPLE_RATE, "WAV", subtype)

    decoded = load_audio(data)

    assert probe(data).duration_s == pytest.approx(1.0)
    np.testing.assert_allclose(decoded, tone, atol=1e-2)


def test_pcm16_wav_with_less_data_than_its_header_reads_like_libsndfile() -> None:
    data = _encode(np.full(16_000, 0.25, dtype=np.float32), SAMPLE_RATE, "WAV", "PCM_16")
    cut = data[: len(data) - 8_000]
    reference, _ = sf.read(io.BytesIO(cut), dtype="float32")

    np.testing.assert_array_equal(load_audio(cut), reference)
