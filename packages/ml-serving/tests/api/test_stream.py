"""WS /v1/diarize/stream on a real server: PCM in chunks, partial turns while sending, the known answer
at the end; bad streams get an error message and a close code."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soxr
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.tone_model import tone_conversation

from .conftest import CONVERSATION, StartServer
from .test_diarize import assert_known_answer


def ws_url(server: str, **params: object) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return server.replace("http://", "ws://") + "/v1/diarize/stream" + (f"?{query}" if query else "")


def send_in_chunks(socket: ClientConnection, pcm: bytes, chunk_bytes: int) -> None:
    for start in range(0, len(pcm), chunk_bytes):
        socket.send(pcm[start : start + chunk_bytes])


def messages_until_closed(socket: ClientConnection) -> list[dict]:
    received = []
    try:
        while True:
            received.append(json.loads(socket.recv(timeout=60)))
    except ConnectionClosed:
        return received


def int16_pcm(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def test_streamed_pcm_gets_partial_turns_then_the_known_answer(server: str) -> None:
    pcm = int16_pcm(tone_conversation(CONVERSATION))
    with connect(ws_url(server, update_s=2)) as socket:
        send_in_chunks(socket, pcm, chunk_bytes=SAMPLE_RATE)  # half a second per message
        socket.send("end")
        received = messages_until_closed(socket)
        close_code = socket.close_code

    partial = [message for message in received if message["type"] == "partial"]
    final = received[-1]
    assert close_code == 1000
    assert len(partial) == 4  # 8 s of audio, one partial result every 2 s
    assert [message["duration_s"] for message in partial] == pytest.approx([2, 4, 6, 8])
    assert final["type"] == "final"
    assert final["version"] == "1.0.0"
    assert_known_answer(final["turns"])


def test_float_pcm_at_another_rate_is_resampled(server: str) -> None:
    samples = soxr.resample(tone_conversation(CONVERSATION), SAMPLE_RATE, 22_050).astype("<f4")
    with connect(ws_url(server, sample_rate=22050, encoding="pcm_f32le", update_s=60)) as socket:
        send_in_chunks(socket, samples.tobytes(), chunk_bytes=4 * 4410)
        socket.send("end")
        final = messages_until_closed(socket)[-1]
    assert final["type"] == "final"
    assert final["duration_s"] == pytest.approx(8.0, abs=0.01)
    assert_known_answer(final["turns"])


@pytest.mark.parametrize(
    ("payloads", "status", "close_code"),
    [
        ([b"\x00\x01\x02"], 422, 1007),  # not whole int16 samples
        (["hello"], 422, 1003),  # text other than "end"
        (["end"], 422, 1007),  # no audio at all
    ],
)
def test_bad_streams_get_an_error_and_a_close_code(
    server: str, payloads: list[bytes | str], status: int, close_code: int
) -> None:
    with connect(ws_url(server)) as socket:
        for payload in payloads:
            socket.send(payload)
        received = messages_until_closed(socket)
        assert socket.close_code == close_code
    assert received[-1]["type"] == "error"
    assert received[-1]["status"] == status
    assert received[-1]["detail"]


def test_a_stream_longer_than_the_limit_is_closed_with_1009(start_server: StartServer) -> None:
    with start_server(max_audio_duration_s=1.0) as url, connect(ws_url(url)) as socket:
        socket.send(int16_pcm(np.zeros(SAMPLE_RATE * 2, dtype=np.float32)))
        received = messages_until_closed(socket)
        assert socket.close_code == 1009
    assert received[-1]["status"] == 413


def test_with_keys_configured_the_stream_needs_one(start_server: StartServer) -> None:
    pcm = int16_pcm(tone_conversation(CONVERSATION))
    with start_server(api_keys=["stream-key-0123"]) as url:
        with connect(ws_url(url)) as socket:
            assert messages_until_closed(socket)[-1]["status"] == 401
            assert socket.close_code == 1008
        with connect(ws_url(url), additional_headers={"X-API-Key": "stream-key-0123"}) as socket:
            socket.send(pcm)
            socket.send("end")
            assert messages_until_closed(socket)[-1]["type"] == "final"
