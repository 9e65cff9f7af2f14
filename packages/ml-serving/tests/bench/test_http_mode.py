"""`http` mode against a real uvicorn server on 127.0.0.1 serving a published tone model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.bench.http_mode import diarize_request, run_http_mode
from voxrank.serving.bench.loadtest import (
    LoadLimits,
    NotLoopbackError,
    Request,
    closed_loop,
    require_loopback,
    run_load,
)
from voxrank.serving.bench.server import ServerStartError, free_port, running_server
from voxrank.serving.settings import ServingSettings
from voxrank.serving.tone_model import publish_tone_model

MODEL = "diarization-tone"
LIMITS = LoadLimits(window_s=0.3, max_windows=4, max_requests=400, warmup_requests=2)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("bench-http") / "model-repository"
    publish_tone_model(root, MODEL, "1.0.0")
    settings = ServingSettings(
        model_repository=root,
        diarization_model=MODEL,
        intra_op_threads=1,
        warmup_runs=1,
        reload="off",
        log_level="warning",
        max_queue=64,
    )
    with serve_in_thread(settings) as url:
        yield url


@pytest.mark.parametrize("url", ["http://10.0.0.1:8000", "https://example.com", "http://192.168.1.5"])
def test_only_loopback_targets_are_accepted(url: str) -> None:
    with pytest.raises(NotLoopbackError, match="loopback"):
        require_loopback(url)


def test_loopback_forms_are_accepted() -> None:
    for url in ("http://127.0.0.1:8000/", "http://localhost:1", "http://[::1]:80"):
        assert require_loopback(url) == url.rstrip("/")


def test_http_plan_measures_network_sweep_and_open_loop(server: str) -> None:
    measurements = list(run_http_mode(server, 2.0, [1, 2], LIMITS, open_loop_s=1.0, rate_per_s=20.0))
    names = [(m.name, m.parameters["load"], m.parameters.get("concurrency")) for m in measurements]
    assert names == [
        ("GET /healthz", "closed", 1),
        ("GET /healthz", "closed", 8),
        ("POST /v1/diarize (2 s WAV)", "closed", 1),
        ("POST /v1/diarize (2 s WAV)", "closed", 2),
        ("POST /v1/diarize (2 s WAV)", "open", None),
    ]
    for measurement in measurements:
        assert measurement.status == "ok", measurement.reason
        assert measurement.errors == 0
        assert measurement.latency is not None and measurement.latency.p50_ms > 0
        assert measurement.throughput_per_s is not None and measurement.throughput_per_s > 0
    open_loop = measurements[-1]
    assert open_loop.parameters["rate_per_s"] == 20.0
    assert 5 <= open_loop.figures["offered"] <= 45  # Poisson arrivals at 20/s for 1 s
    assert open_loop.figures["status_200"] == open_loop.figures["offered"]


def test_errors_are_counted_not_hidden(server: str) -> None:
    missing = Request("GET /v1/models/nope", "GET", "/v1/models/nope")
    measurement = asyncio.run(closed_loop(server, missing, 2, LIMITS))
    assert measurement.status == "failed"
    assert measurement.errors > 0
    assert measurement.figures["status_404"] == measurement.errors


def test_refused_connections_count_as_transport_errors() -> None:
    nobody = f"http://127.0.0.1:{free_port()}"  # a port nothing listens on

    measurement = run_load(closed_loop(nobody, Request("GET /healthz", "GET", "/healthz"), 2, LIMITS))

    assert measurement.status == "failed"
    assert measurement.errors > 0
    assert measurement.figures["status_0"] == measurement.errors


def test_diarize_request_carries_a_wav_of_the_asked_length() -> None:
    request = diarize_request(5.0, api_key="secret")
    assert request.headers == {"Content-Type": "audio/wav", "X-API-Key": "secret"}
    assert request.body is not None and len(request.body) == 44 + 5 * 16_000 * 2


def test_started_server_serves_the_repository_and_stops(tmp_path: Path) -> None:
    root = tmp_path / "model-repository"
    publish_tone_model(root, MODEL, "1.0.0")
    log = tmp_path / "server.log"
    with running_server(root, {"diarization_model": MODEL, "reload": "off", "warmup_runs": "1"}, log) as url:
        assert require_loopback(url) == url
        assert httpx.get(f"{url}/readyz", timeout=10).status_code == 200
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/healthz", timeout=2)


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    with (
        pytest.raises(ServerStartError, match="exited with"),
        running_server(tmp_path, {"max_queue": "-1"}, tmp_path / "server.log"),
    ):
        pass
