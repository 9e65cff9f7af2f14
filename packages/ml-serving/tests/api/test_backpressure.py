"""Bounded concurrency and queue (503 + Retry-After), per-request timeout (504), no model yet (503)."""

from __future__ import annotations

from pathlib import Path

import httpx

from .conftest import MODEL, Background, StartServer, metric_value, wait_until


def test_beyond_concurrency_and_queue_the_answer_is_503_with_retry_after(
    start_server: StartServer, slow_repository: Path, long_wav: bytes, conversation_wav: bytes
) -> None:
    settings = {"model_repository": slow_repository, "max_concurrency": 1, "max_queue": 1, "retry_after_s": 7}
    with start_server(**settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        running = Background(url, long_wav)
        wait_until(
            lambda: client.get(f"/v1/models/{MODEL}").json()["in_flight"] == 1, what="a running request"
        )
        queued = Background(url, conversation_wav)
        wait_until(lambda: metric_value(client, "voxrank_requests_queued") == 1, what="a queued request")

        refused = client.post("/v1/diarize", content=conversation_wav, headers={"content-type": "audio/wav"})

        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "7"
        assert "capacity" in refused.json()["detail"]
        assert running.result().status_code == 200
        assert queued.result().status_code == 200
        assert metric_value(client, "voxrank_requests_rejected_total", 'reason="overloaded"') == 1


def test_a_request_over_its_time_budget_is_cancelled_with_504_and_frees_its_slot(
    start_server: StartServer, slow_repository: Path, long_wav: bytes
) -> None:
    settings = {
        "model_repository": slow_repository,
        "max_concurrency": 1,
        "max_queue": 0,
        "request_timeout_s": 0.3,
    }
    with start_server(**settings) as url, httpx.Client(base_url=url, timeout=60) as client:
        slow = client.post("/v1/diarize", content=long_wav, headers={"content-type": "audio/wav"})

        assert slow.status_code == 504
        assert "longer than 0.3 s" in slow.json()["detail"]
        # The run was terminated inside ONNX Runtime before the slot was given back.
        assert client.get(f"/v1/models/{MODEL}").json()["in_flight"] == 0


def test_without_a_valid_version_diarize_is_503_and_readiness_fails(
    start_server: StartServer, repository: Path, conversation_wav: bytes
) -> None:
    model_file = repository / MODEL / "1.0.0" / "model.onnx"
    model_file.write_bytes(model_file.read_bytes() + b"tampered")

    with start_server() as url, httpx.Client(base_url=url) as client:
        response = client.post("/v1/diarize", content=conversation_wav, headers={"content-type": "audio/wav"})
        assert response.status_code == 503
        assert response.headers["retry-after"]
        assert client.get("/readyz").status_code == 503
        assert client.get("/healthz").status_code == 200
        detail = client.get(f"/v1/models/{MODEL}").json()
        assert detail["state"] == "failed"
        assert "sha256" in detail["rejected_versions"]["1.0.0"]
        assert metric_value(client, "voxrank_model_reloads_total", f'model="{MODEL}",outcome="rejected"') == 1
