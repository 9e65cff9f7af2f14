"""A real uvicorn server on 127.0.0.1 serving tone models published into a temporary repository."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import httpx
import numpy as np
import pytest
import soundfile as sf

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.settings import ServingSettings
from voxrank.serving.tone_model import ToneTurn, publish_tone_model, tone_conversation

MODEL = "diarization-tone"
CONVERSATION = [ToneTurn(0, 2.0), ToneTurn(1, 2.0), ToneTurn(0, 1.5), ToneTurn(1, 2.5)]

StartServer = Callable[..., AbstractContextManager[str]]


def wav_bytes(
    samples: np.ndarray, rate: int = SAMPLE_RATE, fmt: str = "WAV", subtype: str | None = None
) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt, subtype=subtype)
    return buffer.getvalue()


@pytest.fixture(scope="session")
def conversation_wav() -> bytes:
    return wav_bytes(tone_conversation(CONVERSATION))


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "model-repository"
    publish_tone_model(root, MODEL, "1.0.0")
    return root


@pytest.fixture
def settings_for(repository: Path) -> Callable[..., ServingSettings]:
    def make(**overrides: object) -> ServingSettings:
        values: dict[str, object] = {
            "model_repository": repository,
            "diarization_model": MODEL,
            "intra_op_threads": 1,
            "warmup_runs": 1,
            "log_json": True,
            "shutdown_timeout_s": 5,
        }
        return ServingSettings(**(values | overrides))

    return make


@pytest.fixture
def start_server(settings_for: Callable[..., ServingSettings]) -> StartServer:
    """`with start_server(max_queue=0) as url:` runs a server with those settings for the block."""

    def start(**overrides: object) -> AbstractContextManager[str]:
        return serve_in_thread(settings_for(**overrides))

    return start


@pytest.fixture
def server(start_server: StartServer) -> Iterator[str]:
    with start_server() as url:
        yield url


@pytest.fixture
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as http:
        yield http


@pytest.fixture
def assert_ok() -> Callable[[httpx.Client, bytes], None]:
    def check(http: httpx.Client, audio: bytes) -> None:
        response = http.post("/v1/diarize", content=audio, headers={"content-type": "audio/wav"})
        assert response.status_code == 200, response.text
        assert response.json()["num_speakers"] == 2

    return check


SLOW_MATMULS = 100
"""Makes one 2 s window cost ~25 ms of CPU: a minute of audio keeps a slot busy for seconds."""


@pytest.fixture
def slow_repository(tmp_path: Path) -> Path:
    root = tmp_path / "slow-repository"
    publish_tone_model(root, MODEL, "1.0.0", extra_matmuls=SLOW_MATMULS)
    return root


@pytest.fixture(scope="session")
def long_wav() -> bytes:
    return wav_bytes(tone_conversation([ToneTurn(index % 2, 3.0) for index in range(20)]))


def wait_until(condition: Callable[[], bool], timeout_s: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def metric_value(http: httpx.Client, name: str, labels: str = "") -> float:
    """The value of one sample of /metrics, e.g. metric_value(c, "voxrank_requests_queued")."""
    wanted = f"{name}{{{labels}}}" if labels else name
    for line in http.get("/metrics").text.splitlines():
        if line.startswith(wanted + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


class Background:
    """A request running in a thread while the test does other things."""

    def __init__(self, base_url: str, audio: bytes) -> None:
        self.response: httpx.Response | None = None
        self._thread = threading.Thread(target=self._post, args=(base_url, audio), daemon=True)
        self._thread.start()

    def _post(self, base_url: str, audio: bytes) -> None:
        with httpx.Client(base_url=base_url, timeout=120) as http:
            self.response = http.post("/v1/diarize", content=audio, headers={"content-type": "audio/wav"})

    def result(self, timeout_s: float = 120) -> httpx.Response:
        self._thread.join(timeout_s)
        assert self.response is not None, "the background request did not finish"
        return self.response
