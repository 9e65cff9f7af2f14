"""A real uvicorn server on 127.0.0.1 serving tone models published into a temporary repository."""

from __future__ import annotations

import io
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


def wav_bytes(samples: np.ndarray, rate: int = SAMPLE_RATE, fmt: str = "WAV") -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples, rate, format=fmt)
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
