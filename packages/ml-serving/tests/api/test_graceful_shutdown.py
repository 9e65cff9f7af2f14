"""SIGTERM on a real `voxrank-serve serve` process: readiness fails at once, the running request finishes."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .conftest import MODEL, Background, wait_until


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served_process(slow_repository: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen, str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    environment = os.environ | {
        "VOXRANK_MODEL_REPOSITORY": str(slow_repository),
        "VOXRANK_DIARIZATION_MODEL": MODEL,
        "VOXRANK_PORT": str(port),
        "VOXRANK_INTRA_OP_THREADS": "1",
        "VOXRANK_SHUTDOWN_DELAY_S": "1.0",
        "VOXRANK_RELOAD": "off",
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "voxrank.serving", "serve"], env=environment, stderr=output, stdout=output
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(url, process), timeout_s=60, what="the server to become ready")
        yield process, url, log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _ready(url: str, process: subprocess.Popen) -> bool:
    assert process.poll() is None, "the server exited during startup"
    try:
        return httpx.get(f"{url}/readyz").status_code == 200
    except httpx.TransportError:
        return False


def test_sigterm_turns_readiness_off_and_lets_the_running_request_finish(
    served_process: tuple[subprocess.Popen, str, Path], long_wav: bytes
) -> None:
    process, url, log = served_process
    with httpx.Client(base_url=url) as client:
        running = Background(url, long_wav)
        wait_until(
            lambda: client.get(f"/v1/models/{MODEL}").json()["in_flight"] == 1, what="a running request"
        )

        process.send_signal(signal.SIGTERM)

        readiness = client.get("/readyz")
        assert readiness.status_code == 503
        assert readiness.json()["detail"] == "shutting down"
        assert client.get("/healthz").status_code == 200

    response = running.result()
    assert response.status_code == 200
    assert response.json()["num_speakers"] == 2
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    messages = [line["message"] for line in lines]
    drain = next(i for i, message in enumerate(messages) if message.startswith("shutting down"))
    access = next(
        i for i, line in enumerate(lines) if line.get("request_id") == response.headers["x-request-id"]
    )
    assert access > drain, "the in-flight request must complete after the drain began"
    assert lines[access]["status"] == 200
    assert lines[access]["route"] == "/v1/diarize"
