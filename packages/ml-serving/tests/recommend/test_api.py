"""The recommendation endpoints on a real uvicorn server, with towers published into a real repository
and an index built by `voxrank-serve index build`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import numpy as np
import pytest
from typer.testing import CliRunner

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.cli import app as serve_cli
from voxrank.serving.recommend.features import encode_histories, encode_items
from voxrank.serving.recommend.items import Interaction, ItemRecord, UserHistory
from voxrank.serving.recommend.store import ExactStore
from voxrank.serving.settings import ServingSettings

from .tiny_towers import SPEC, publish_tower, reference_items, reference_users

ITEMS = [
    ItemRecord(item_id=f"sku{n:03d}", title=f"商品 item {n}", genre_ids=(str(n % 5),), price=100.0 + n)
    for n in range(60)
]
HISTORY = ["sku001", "sku007", "sku042"]


def _item_lines(path: Path) -> Path:
    rows = [
        {"item_id": item.item_id, "title": item.title, "genre_ids": list(item.genre_ids), "price": item.price}
        for item in ITEMS
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def _histories(path: Path) -> Path:
    lines = ["user_id,item_id,timestamp"] + [
        f"alice,{item},2024-01-0{day + 1}T00:00:00" for day, item in enumerate(HISTORY)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_index(repository: Path, store: str, items: Path, version: str = "latest") -> None:
    result = CliRunner().invoke(
        serve_cli,
        [
            "index",
            "build",
            "--repository",
            str(repository),
            "--items",
            str(items),
            "--store",
            store,
            "--version",
            version,
        ],
    )
    assert result.exit_code == 0, result.output


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "model-repository"
    publish_tower(root, "two-tower-user", "1.0.0")
    publish_tower(root, "two-tower-item", "1.0.0")
    return root


@pytest.fixture
def index_url(tmp_path: Path, repository: Path) -> str:
    url = f"exact:{tmp_path / 'index' / 'items.npz'}"
    build_index(repository, url, _item_lines(tmp_path / "items.jsonl"))
    return url


@pytest.fixture
def client(
    tmp_path: Path, repository: Path, index_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[httpx.Client]:
    monkeypatch.setenv("VOXRANK_RECOMMEND_STORE", index_url)
    monkeypatch.setenv("VOXRANK_RECOMMEND_HISTORIES", str(_histories(tmp_path / "histories.csv")))
    monkeypatch.setenv("VOXRANK_RECOMMEND_MAX_BATCH", "8")
    settings = ServingSettings(
        model_repository=repository,
        models=["two-tower-user", "two-tower-item"],
        intra_op_threads=1,
        warmup_runs=1,
        reload="poll",
        poll_interval_s=0.2,
        shutdown_timeout_s=5,
    )
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        yield http


def _expected_top(history: list[str], k: int) -> list[str]:
    store = ExactStore()
    store.replace(
        [item.item_id for item in ITEMS], reference_items(encode_items(ITEMS, SPEC), seed=0), "1.0.0"
    )
    user = reference_users(encode_histories([_user(history)], SPEC), seed=0)
    return store.search(user, k, "1.0.0", exclude=[set(history)])[0].item_ids


def _user(items: list[str]) -> UserHistory:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    return UserHistory("u", [Interaction("u", item, moment) for item in items])


def test_item_and_user_embeddings_match_the_reference(client: httpx.Client) -> None:
    response = client.post(
        "/v1/embeddings/items",
        json={"items": [{"item_id": "sku003", "title": "商品 item 3", "genre_ids": ["3"], "price": 103.0}]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "two-tower-item" and body["version"] == "1.0.0" and body["dimension"] == 768
    expected = reference_items(encode_items([ITEMS[3]], SPEC), seed=0)
    assert np.allclose(body["embeddings"], expected, atol=1e-5)
    assert np.isclose(np.linalg.norm(body["embeddings"][0]), 1.0, atol=1e-5)

    history = [{"item_id": item} for item in HISTORY]
    users = client.post("/v1/embeddings/users", json={"users": [{"history": history}, {"user_id": "alice"}]})
    assert users.status_code == 200, users.text
    vectors = np.asarray(users.json()["embeddings"])
    assert np.allclose(
        vectors[0], reference_users(encode_histories([_user(HISTORY)], SPEC), seed=0)[0], atol=1e-5
    )
    # The stored history of alice is the same three items in the same order.
    assert np.allclose(vectors[0], vectors[1], atol=1e-6)


def test_recommendations_by_history_and_by_user_id_exclude_seen_items(client: httpx.Client) -> None:
    by_history = client.post(
        "/v1/recommendations", json={"history": [{"item_id": i} for i in HISTORY], "k": 7}
    )
    assert by_history.status_code == 200, by_history.text
    body = by_history.json()
    ids = [item["item_id"] for item in body["items"]]
    assert ids == _expected_top(HISTORY, 7)
    assert not set(ids) & set(HISTORY)
    assert body["version"] == "1.0.0" and body["store"] == "exact"
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)

    by_id = client.post("/v1/recommendations", json={"user_id": "alice", "k": 7, "exclude": [ids[0]]})
    assert by_id.status_code == 200, by_id.text
    assert [item["item_id"] for item in by_id.json()["items"]] == _expected_top(HISTORY, 8)[1:]

    with_seen = client.post("/v1/recommendations", json={"user_id": "alice", "k": 60, "exclude_seen": False})
    assert len(with_seen.json()["items"]) == 60


def test_a_changed_interaction_log_is_read_again_without_a_restart(
    client: httpx.Client, tmp_path: Path
) -> None:
    assert client.post("/v1/recommendations", json={"user_id": "bob"}).status_code == 404
    log = tmp_path / "histories.csv"
    log.write_text(log.read_text(encoding="utf-8") + "bob,sku007,2024-02-01T00:00:00\n", encoding="utf-8")

    for_bob = client.post("/v1/recommendations", json={"user_id": "bob", "k": 5})

    assert for_bob.status_code == 200, for_bob.text
    assert [item["item_id"] for item in for_bob.json()["items"]] == _expected_top(["sku007"], 5)


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"user_id": "bob"}, 404, "no stored history"),
        ({"history": [{"item_id": "sku001"}], "k": 1001}, 422, "k"),
        ({"history": [{"item_id": "sku001"}], "k": 0}, 422, "k"),
        ({"history": []}, 422, "history is empty"),
        ({"user_id": "alice", "history": [{"item_id": "sku001"}]}, 422, "exactly one"),
        ({}, 422, "exactly one"),
        ({"history": [{"item_id": "sku001", "weight": -1}]}, 422, "weight"),
        ({"history": [{"item_id": "sku001"}], "colour": "red"}, 422, "colour"),
    ],
)
def test_bad_recommendation_requests_get_4xx_with_a_message(
    client: httpx.Client, body: dict[str, object], status: int, message: str
) -> None:
    response = client.post("/v1/recommendations", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["detail"]


def test_batches_over_the_limit_and_non_json_bodies_are_refused(client: httpx.Client) -> None:
    too_many = client.post("/v1/embeddings/items", json={"items": [{"item_id": f"x{n}"} for n in range(9)]})
    assert too_many.status_code == 422 and "limit is 8" in too_many.json()["detail"]
    garbage = client.post(
        "/v1/embeddings/users", content=b"\xff\x00", headers={"content-type": "application/json"}
    )
    assert garbage.status_code == 422


def test_an_index_from_another_model_version_is_refused(
    client: httpx.Client, repository: Path, index_url: str, tmp_path: Path
) -> None:
    publish_tower(repository, "two-tower-user", "2.0.0", seed=1)
    deadline = 200
    while (
        client.post("/v1/embeddings/users", json={"users": [{"user_id": "alice"}]}).json().get("version")
        != "2.0.0"
    ):
        deadline -= 1
        assert deadline > 0, "the new user tower was not loaded"
        time.sleep(0.1)
    mismatch = client.post("/v1/recommendations", json={"user_id": "alice"})
    assert mismatch.status_code == 409
    assert "2.0.0" in mismatch.json()["detail"] and "1.0.0" in mismatch.json()["detail"]
    # Rebuilding the index with the matching item tower heals it without a restart.
    publish_tower(repository, "two-tower-item", "2.0.0", seed=1)
    build_index(repository, index_url, tmp_path / "items.jsonl", version="2.0.0")
    healed = client.post("/v1/recommendations", json={"user_id": "alice"})
    assert healed.status_code == 200, healed.text
    assert healed.json()["version"] == "2.0.0"


def test_a_missing_index_is_a_503_that_says_what_to_do(
    tmp_path: Path, repository: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXRANK_RECOMMEND_STORE", f"exact:{tmp_path / 'nothing.npz'}")
    settings = ServingSettings(
        model_repository=repository, intra_op_threads=1, warmup_runs=0, shutdown_timeout_s=5
    )
    with serve_in_thread(settings) as url, httpx.Client(base_url=url, timeout=60) as http:
        response = http.post("/v1/recommendations", json={"history": [{"item_id": "sku001"}]})
    assert response.status_code == 503
    assert "index build" in response.json()["detail"]
