"""/v1/models, probes and /metrics on a real server."""

from __future__ import annotations

import httpx

from .conftest import MODEL, metric_value


def test_models_lists_the_serving_version_and_provider(client: httpx.Client) -> None:
    models = client.get("/v1/models").json()["models"]

    assert [model["name"] for model in models] == [MODEL]
    assert models[0] | {"last_reload": None} == {
        "name": MODEL,
        "state": "ready",
        "version": "1.0.0",
        "task": "diarization",
        "provider": "cpu",
        "last_reload": None,
    }
    assert models[0]["last_reload"]["outcome"] == "loaded"


def test_model_detail_and_unknown_model(client: httpx.Client) -> None:
    detail = client.get(f"/v1/models/{MODEL}").json()

    assert detail["providers"] == ["CPUExecutionProvider"]
    assert detail["available_versions"] == ["1.0.0"]
    assert detail["spec"] == "latest"
    assert detail["rejected_versions"] == {}
    assert client.get("/v1/models/nope").status_code == 404


def test_probes(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "detail": None}
    assert client.get("/readyz").json()["status"] == "ok"


def test_metrics_label_latency_by_model_version_provider_and_status(
    client: httpx.Client, conversation_wav: bytes
) -> None:
    client.post("/v1/diarize", content=conversation_wav, headers={"content-type": "audio/wav"})
    client.post("/v1/diarize", content=b"junk", headers={"content-type": "audio/wav"})

    served = f'model="{MODEL}",provider="cpu",route="/v1/diarize",status="200",version="1.0.0"'
    assert metric_value(client, "voxrank_request_duration_seconds_count", served) == 1
    refused = 'model="",provider="",route="/v1/diarize",status="415",version=""'
    assert metric_value(client, "voxrank_request_duration_seconds_count", refused) == 1
    inference = f'model="{MODEL}",provider="cpu",status="ok",version="1.0.0"'
    assert metric_value(client, "voxrank_inference_duration_seconds_count", inference) == 1
    assert metric_value(client, "voxrank_queue_wait_seconds_count", f'model="{MODEL}"') == 1
    assert (
        metric_value(client, "voxrank_model_serving", f'model="{MODEL}",provider="cpu",version="1.0.0"') == 1
    )
    assert metric_value(client, "voxrank_model_reloads_total", f'model="{MODEL}",outcome="loaded"') == 1
    # The scrape itself is in flight while /metrics renders.
    assert metric_value(client, "voxrank_requests_in_flight") == 1
