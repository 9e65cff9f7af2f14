"""The page and its assets over real HTTP: content types, the self-only policy, 404s, left out of OpenAPI."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from voxrank.serving.web.routes import ASSET_TYPES

EXTERNAL_REFERENCE = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}""")


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as http:
        yield http


def test_the_page_is_served_at_the_root_with_a_self_only_policy(client: httpx.Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<script src="/ui/app.js"' in response.text
    assert '<link rel="stylesheet" href="/ui/style.css">' in response.text


@pytest.mark.parametrize("name", sorted(ASSET_TYPES))
def test_every_asset_is_served_with_its_type_and_loads_nothing_from_elsewhere(
    client: httpx.Client, name: str
) -> None:
    response = client.get(f"/ui/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"] == ASSET_TYPES[name]
    assert response.content
    assert EXTERNAL_REFERENCE.findall(response.text) == []


def test_an_unknown_asset_gets_404_with_a_reason(client: httpx.Client) -> None:
    response = client.get("/ui/missing.js")

    assert response.status_code == 404
    assert response.json()["detail"] == "the web page has no asset named 'missing.js'"


@pytest.mark.parametrize("path", ["/ui/..%2Froutes.py", "/ui/%2E%2E%2F__init__.py", "/ui/../web/routes.py"])
def test_paths_out_of_the_asset_folder_serve_no_file(client: httpx.Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert "import" not in response.text


def test_page_config_tells_the_page_about_authentication(client: httpx.Client) -> None:
    config = client.get("/ui/config.json").json()

    assert config["auth_enabled"] is False
    assert config["api_key_header"] == "X-API-Key"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", config["version"])


def test_the_page_is_not_part_of_the_api_document(client: httpx.Client) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/v1/diarize" in paths
    assert not [path for path in paths if path == "/" or path.startswith("/ui")]
