"""API keys: off without configuration; with keys, /v1 needs one and probes stay open."""

from __future__ import annotations

import httpx
import pytest

from voxrank.serving.api.security import key_is_valid

from .conftest import MODEL, StartServer

KEYS = ["first-key-0123456789", "second-key-abcdefghij"]


@pytest.fixture
def secured(start_server: StartServer):  # type: ignore[no-untyped-def]
    with (
        start_server(api_keys=KEYS, api_key_header="X-Voxrank-Key") as url,
        httpx.Client(base_url=url) as client,
    ):
        yield client


def test_without_configured_keys_no_key_is_needed(client: httpx.Client) -> None:
    assert client.get("/v1/models").status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"X-Voxrank-Key": "wrong"}, {"X-API-Key": KEYS[0]}, {"X-Voxrank-Key": ""}]
)
def test_missing_or_wrong_keys_are_401(secured: httpx.Client, conversation_wav: bytes, headers: dict) -> None:
    for response in (
        secured.get("/v1/models", headers=headers),
        secured.get(f"/v1/models/{MODEL}", headers=headers),
        secured.post(
            "/v1/diarize", content=conversation_wav, headers=headers | {"content-type": "audio/wav"}
        ),
    ):
        assert response.status_code == 401
        assert "X-Voxrank-Key" in response.json()["detail"]
        assert response.headers["www-authenticate"] == "ApiKey"


@pytest.mark.parametrize("key", KEYS)
def test_every_configured_key_is_accepted(secured: httpx.Client, conversation_wav: bytes, key: str) -> None:
    headers = {"X-Voxrank-Key": key, "content-type": "audio/wav"}
    assert secured.post("/v1/diarize", content=conversation_wav, headers=headers).status_code == 200


def test_probes_and_metrics_need_no_key(secured: httpx.Client) -> None:
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):
        assert secured.get(path).status_code == 200, path


def test_the_openapi_document_declares_the_key_header(secured: httpx.Client) -> None:
    schemes = secured.get("/openapi.json").json()["components"]["securitySchemes"]
    assert {"type": "apiKey", "in": "header", "name": "X-Voxrank-Key"}.items() <= next(
        iter(schemes.values())
    ).items()


def test_key_comparison_rejects_prefixes_and_non_ascii() -> None:
    accepted = [key.encode() for key in KEYS]
    assert key_is_valid(KEYS[1], accepted)
    assert not key_is_valid(KEYS[0][:-1], accepted)
    assert not key_is_valid(KEYS[0] + "x", accepted)
    assert not key_is_valid("ключ", accepted)
    assert not key_is_valid(None, accepted)
