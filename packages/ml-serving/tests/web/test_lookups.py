"""/ui/users lists the users of the stored interaction log; /ui/titles looks titles up in a synced catalog."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.recommend.catalog import read_catalog
from voxrank.serving.settings import ServingSettings

HISTORY = """user_id,item_id,timestamp
u1,a,2024-01-01T00:00:00
u2,b,2024-01-02T00:00:00
u1,b,2024-01-03T00:00:00
u3,a,2024-01-04T00:00:00
u1,c,2024-01-05T00:00:00
u3,c,2024-01-06T00:00:00
"""


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=60) as http:
        yield http


def write_log(path: Path, text: str) -> None:
    """Rewrite the log with a later modification time, as a new export of it would have."""
    path.write_text(text)
    later = time.time_ns() + len(text) * 1_000_000
    os.utime(path, ns=(later, later))


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "interactions.csv"
    monkeypatch.setenv("VOXRANK_RECOMMEND_HISTORIES", str(path))
    return path


@pytest.fixture
def fresh_client(tmp_path: Path) -> Iterator[httpx.Client]:
    """A server whose recommendation state is made from the environment of this test."""
    settings = ServingSettings(model_repository=tmp_path / "empty-repository", reload="off", warmup_runs=0)
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        yield http


def test_users_are_listed_most_active_first(log: Path, fresh_client: httpx.Client) -> None:
    write_log(log, HISTORY)

    body = fresh_client.get("/ui/users").json()

    assert body == {
        "users": [
            {"user_id": "u1", "interactions": 3},
            {"user_id": "u3", "interactions": 2},
            {"user_id": "u2", "interactions": 1},
        ],
        "total": 3,
        "detail": None,
    }
    assert [user["user_id"] for user in fresh_client.get("/ui/users?limit=2").json()["users"]] == ["u1", "u3"]


def _stored_history_lookup(client: httpx.Client, user_id: str) -> str:
    """The recommendation API's answer about a stored user (the server has no towers to embed it with)."""
    response = client.post("/v1/embeddings/users", json={"users": [{"user_id": user_id}]})
    return str(response.json()["detail"])


def test_a_changed_log_is_read_again_by_the_page_and_the_api_alike(
    log: Path, fresh_client: httpx.Client
) -> None:
    write_log(log, HISTORY)
    assert fresh_client.get("/ui/users").json()["total"] == 3
    assert "no stored history for user 'u4'" in _stored_history_lookup(fresh_client, "u4")

    write_log(log, HISTORY + "u4,a,2024-02-01T00:00:00\n")

    assert fresh_client.get("/ui/users").json()["total"] == 4
    # The API now finds u4's history and only lacks the user tower.
    assert "two-tower-user" in _stored_history_lookup(fresh_client, "u4")


def test_an_unreadable_first_log_is_a_503_that_names_the_problem(
    log: Path, fresh_client: httpx.Client
) -> None:
    write_log(log, "user,item\nu1,a\n")

    response = fresh_client.get("/ui/users")

    assert response.status_code == 503
    assert "lacks the column(s) user_id, item_id, timestamp" in response.json()["detail"]


def test_a_log_broken_later_leaves_the_last_good_histories_in_service(
    log: Path, fresh_client: httpx.Client
) -> None:
    write_log(log, HISTORY)
    assert fresh_client.get("/ui/users").json()["total"] == 3

    write_log(log, "user,item\nu1,a\n")

    assert fresh_client.get("/ui/users").json()["total"] == 3
    write_log(log, HISTORY + "u4,a,2024-02-01T00:00:00\n")
    assert fresh_client.get("/ui/users").json()["total"] == 4


def test_without_a_log_the_page_is_told_how_to_configure_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("VOXRANK_RECOMMEND_HISTORIES", raising=False)
    settings = ServingSettings(model_repository=tmp_path / "empty-repository", reload="off", warmup_runs=0)
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        body = http.get("/ui/users").json()

    assert body["users"] == []
    assert "VOXRANK_RECOMMEND_HISTORIES" in body["detail"]


def test_titles_come_from_the_synced_catalog(
    client: httpx.Client, synced_catalog: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXRANK_WEB_CATALOG", synced_catalog)
    items = read_catalog(synced_catalog)[:5]
    assert items, "the sync stored items"

    response = client.post("/ui/titles", json={"item_ids": [item.item_id for item in items] + ["unknown"]})

    assert response.status_code == 200
    assert response.json() == {"titles": {item.item_id: item.title for item in items}, "detail": None}


def test_without_a_catalog_the_page_is_told_how_to_configure_one(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VOXRANK_WEB_CATALOG", raising=False)

    body = client.post("/ui/titles", json={"item_ids": ["a"]}).json()

    assert body["titles"] == {}
    assert "VOXRANK_WEB_CATALOG" in body["detail"]


def test_more_ids_than_a_recommendation_holds_are_refused(client: httpx.Client) -> None:
    response = client.post("/ui/titles", json={"item_ids": [str(n) for n in range(1001)]})

    assert response.status_code == 422


def test_with_api_keys_the_page_loads_but_users_and_titles_want_the_key(tmp_path: Path) -> None:
    settings = ServingSettings(
        model_repository=tmp_path / "empty-repository",
        api_keys=[SecretStr("s3cret")],
        reload="off",
        warmup_runs=0,
    )
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=30) as http:
        assert http.get("/").status_code == 200
        assert http.get("/ui/config.json").json()["auth_enabled"] is True
        refused = http.get("/ui/users")
        assert refused.status_code == 401
        assert "X-API-Key" in refused.json()["detail"]
        assert http.post("/ui/titles", json={"item_ids": []}).status_code == 401
        assert http.get("/ui/users", headers={"X-API-Key": "s3cret"}).status_code == 200
        assert http.get("/v1/models", headers={"X-API-Key": "wrong"}).status_code == 401
