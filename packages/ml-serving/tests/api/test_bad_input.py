"""Every kind of bad request gets a clear 4xx with a message, and the server keeps serving."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import numpy as np
import pytest

from voxrank.serving.audio import SAMPLE_RATE

from .conftest import StartServer, wav_bytes

RAW_WAV = {"content-type": "audio/wav"}


def post(client: httpx.Client, **kwargs: object) -> httpx.Response:
    return client.post("/v1/diarize", **kwargs)  # type: ignore[arg-type]


def assert_error(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    message = body["detail"] if isinstance(body["detail"], str) else str(body["detail"])
    assert words in message
    if isinstance(body["detail"], str):
        assert body["request_id"] == response.headers["x-request-id"]


def test_text_sent_as_audio_is_unsupported_415(client: httpx.Client) -> None:
    assert_error(post(client, content=b"hello, not a RIFF file", headers=RAW_WAV), 415, "unsupported")


def test_a_json_body_is_not_audio_415(client: httpx.Client) -> None:
    response = post(client, json={"audio": "base64?"})
    assert_error(response, 415, "multipart field 'file'")


def test_an_empty_body_is_422(client: httpx.Client) -> None:
    assert_error(post(client, content=b"", headers=RAW_WAV), 422, "no audio")


def test_an_empty_uploaded_file_is_422(client: httpx.Client) -> None:
    assert_error(post(client, files={"file": ("empty.wav", b"", "audio/wav")}), 422, "no audio")


def test_multipart_without_the_file_field_is_422(client: httpx.Client, conversation_wav: bytes) -> None:
    response = post(client, files={"audio": ("talk.wav", conversation_wav, "audio/wav")})
    assert_error(response, 422, "no file field named 'file'")


def test_a_wav_header_without_samples_is_corrupt_422(client: httpx.Client) -> None:
    assert_error(
        post(client, content=wav_bytes(np.zeros(0, dtype=np.float32)), headers=RAW_WAV), 422, "no samples"
    )


def test_non_finite_samples_are_corrupt_422(client: httpx.Client) -> None:
    samples = np.full(SAMPLE_RATE, np.nan, dtype=np.float32)
    response = post(client, content=wav_bytes(samples, subtype="FLOAT"), headers=RAW_WAV)
    assert_error(response, 422, "NaN")


def test_a_truncated_file_is_refused_with_a_message(client: httpx.Client, conversation_wav: bytes) -> None:
    response = post(client, content=conversation_wav[:30], headers=RAW_WAV)
    assert response.status_code in (415, 422)
    assert response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"min_speakers": 3, "max_speakers": 2}, "exceeds max_speakers"),
        ({"num_speakers": 2, "max_speakers": 3}, "not both"),
    ],
)
def test_inconsistent_speaker_counts_are_422(
    client: httpx.Client, conversation_wav: bytes, params: dict[str, int], words: str
) -> None:
    assert_error(post(client, params=params, content=conversation_wav, headers=RAW_WAV), 422, words)


@pytest.mark.parametrize(
    "params",
    [
        {"num_speakers": 0},
        {"max_speakers": 1000},
        {"format": "xml"},
        {"uri": "has spaces"},
        {"num_speakers": "two"},
    ],
)
def test_invalid_parameters_are_422(
    client: httpx.Client, conversation_wav: bytes, params: dict[str, object]
) -> None:
    response = post(client, params=params, content=conversation_wav, headers=RAW_WAV)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]


def test_an_unknown_model_is_404(client: httpx.Client, conversation_wav: bytes) -> None:
    response = post(client, params={"model": "no-such-model"}, content=conversation_wav, headers=RAW_WAV)
    assert_error(response, 404, "not served")


def test_upload_larger_than_the_limit_is_413_before_decoding(start_server: StartServer) -> None:
    audio = wav_bytes(np.zeros(SAMPLE_RATE * 2, dtype=np.float32))
    with start_server(max_upload_bytes=len(audio) - 1) as url, httpx.Client(base_url=url) as client:
        assert_error(post(client, content=audio, headers=RAW_WAV), 413, "exceeds the limit")
        assert_error(post(client, files={"file": ("a.wav", audio, "audio/wav")}), 413, "exceeds the limit")
        # A chunked upload has no Content-Length: the limit holds while reading.
        chunks = iter([audio[: len(audio) // 2], audio[len(audio) // 2 :]])
        assert_error(post(client, content=chunks, headers=RAW_WAV), 413, "exceeds the limit")


def test_audio_longer_than_the_limit_is_413(start_server: StartServer) -> None:
    audio = wav_bytes(np.zeros(SAMPLE_RATE * 3, dtype=np.float32))
    with start_server(max_audio_duration_s=2.5) as url, httpx.Client(base_url=url) as client:
        assert_error(post(client, content=audio, headers=RAW_WAV), 413, "limit is 2.5 s")


def test_the_server_still_serves_after_bad_requests(
    client: httpx.Client, conversation_wav: bytes, assert_ok: Callable[[httpx.Client, bytes], None]
) -> None:
    for _ in range(3):
        post(client, content=b"junk", headers=RAW_WAV)
    assert_ok(client, conversation_wav)
