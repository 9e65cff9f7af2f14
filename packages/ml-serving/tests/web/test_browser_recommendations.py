"""The page in headless Chromium with the two towers served: pick a user, get the API's items with titles.

As the quickstart runs it: a catalog synced by data-sync, an index built by `voxrank-serve index build`
from that catalog, stored histories in a CSV log, titles looked up in the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from typer.testing import CliRunner

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.cli import app as serve_cli
from voxrank.serving.recommend.catalog import read_catalog
from voxrank.serving.settings import ServingSettings

from ..recommend.tiny_towers import publish_tower  # type: ignore[misc]  # tests/ is no package to mypy
from .test_browser import save_screenshot

WAIT_S = 60
TOP_K = 5


def stored_histories(path: Path, item_ids: list[str]) -> Path:
    rows = [f"alice,{item},2024-01-0{day + 1}T00:00:00" for day, item in enumerate(item_ids[:3])]
    rows.append(f"bob,{item_ids[3]},2024-01-05T00:00:00")
    path.write_text("\n".join(["user_id,item_id,timestamp", *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def recommending_server(tmp_path_factory: pytest.TempPathFactory, synced_catalog: str) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("recommend")
    repository = folder / "model-repository"
    for task in ("two-tower-user", "two-tower-item"):
        publish_tower(repository, task, "1.0.0")
    store = f"exact:{folder / 'items.npz'}"
    built = CliRunner().invoke(
        serve_cli, ["index", "build", "-r", str(repository), "--catalog", synced_catalog, "--store", store]
    )
    assert built.exit_code == 0, built.output
    item_ids = [item.item_id for item in read_catalog(synced_catalog)]
    with pytest.MonkeyPatch.context() as environment:
        environment.setenv("VOXRANK_RECOMMEND_STORE", store)
        environment.setenv("VOXRANK_RECOMMEND_HISTORIES", str(stored_histories(folder / "log.csv", item_ids)))
        environment.setenv("VOXRANK_WEB_CATALOG", synced_catalog)
        settings = ServingSettings(
            model_repository=repository, intra_op_threads=1, warmup_runs=1, reload="off", shutdown_timeout_s=5
        )
        with serve_in_thread(settings) as url:
            yield url


def shown_items(browser: Any) -> list[tuple[str, str]]:
    return [
        (entry.get_attribute("data-item-id"), entry.find_element(By.CLASS_NAME, "title").text)
        for entry in browser.find_elements(By.CSS_SELECTOR, "#recommendations li")
    ]


def test_a_picked_user_gets_the_api_items_with_their_catalog_titles(
    recommending_server: str, synced_catalog: str, browser: Any, tmp_path: Path
) -> None:
    answer = httpx.post(
        f"{recommending_server}/v1/recommendations", json={"user_id": "alice", "k": TOP_K}, timeout=60
    )
    assert answer.status_code == 200, answer.text
    titles = {item.item_id: item.title for item in read_catalog(synced_catalog)}
    wait = WebDriverWait(browser, WAIT_S)

    browser.get(f"{recommending_server}/")
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#known-users option")) == 2)
    options = browser.find_elements(By.CSS_SELECTOR, "#known-users option")
    assert [option.get_attribute("value") for option in options] == ["alice", "bob"], "most active first"
    assert browser.find_element(By.ID, "users-hint").text == "2 users with a stored history."
    browser.find_element(By.ID, "user-id").send_keys("alice")
    top_k = browser.find_element(By.ID, "top-k")
    top_k.clear()
    top_k.send_keys(str(TOP_K))
    browser.find_element(By.ID, "recommend").click()
    wait.until(lambda page: len(page.find_elements(By.CSS_SELECTOR, "#recommendations li")) == TOP_K)

    expected = [(item["item_id"], titles[item["item_id"]]) for item in answer.json()["items"]]
    assert shown_items(browser) == expected
    status = browser.find_element(By.ID, "recommend-status").text
    assert status == f"{TOP_K} items for alice (two-tower-user 1.0.0, exact index)."
    save_screenshot(browser, tmp_path, "recommendations.png")
