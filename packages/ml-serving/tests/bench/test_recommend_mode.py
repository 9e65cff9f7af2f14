"""The recommendation endpoint's load measurement against a real voxrank-serve on hand-built towers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from voxrank.serving.bench.loadtest import LoadLimits
from voxrank.serving.bench.recommend_mode import (
    ENDPOINT,
    app,
    build_exact_index,
    recommend_request,
    run_recommend_mode,
    synthetic_items,
)
from voxrank.serving.bench.report import merge, to_markdown
from voxrank.serving.bench.schema import BenchmarkReport
from voxrank.serving.recommend.store_url import open_store

from ..recommend.tiny_towers import publish_tower

LIMITS = LoadLimits(window_s=0.3, max_windows=4, max_requests=300, warmup_requests=2)


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "model-repository"
    for tower in ("two-tower-user", "two-tower-item"):
        publish_tower(root, tower, "1.0.0")
    return root


def test_the_request_is_a_history_of_catalog_items() -> None:
    items = synthetic_items(50)
    request = recommend_request(items, k=7)
    body = json.loads(request.body or b"")
    assert request.method == "POST" and request.path == ENDPOINT
    assert body["k"] == 7 and len(body["history"]) == 20
    assert {entry["item_id"] for entry in body["history"]} <= {item.item_id for item in items}


def test_the_index_holds_every_item_under_the_towers_version(repository: Path, tmp_path: Path) -> None:
    url = build_exact_index(repository, synthetic_items(300), tmp_path / "items.npz")
    store = open_store(url)
    assert len(store) == 300 and store.model_version == "1.0.0"


def test_closed_loop_levels_measure_the_endpoint_without_errors(repository: Path, tmp_path: Path) -> None:
    measurements = list(
        run_recommend_mode(repository, tmp_path, items=300, k=10, concurrencies=[1, 2], limits=LIMITS)
    )
    assert [m.parameters["concurrency"] for m in measurements] == [1, 2]
    for measurement in measurements:
        assert measurement.status == "ok", measurement.reason
        assert measurement.mode == "http" and measurement.parameters["path"] == ENDPOINT
        assert measurement.errors == 0 and measurement.figures["status_200"] > 0
        assert measurement.latency is not None
        assert 0 < measurement.latency.p50_ms <= measurement.latency.p99_ms
        assert measurement.stability is not None and measurement.stability.windows >= 1


def test_a_repository_without_towers_is_reported_as_skipped(tmp_path: Path) -> None:
    (measurement,) = run_recommend_mode(
        tmp_path / "empty", tmp_path, items=10, k=10, concurrencies=[1], limits=LIMITS
    )
    assert measurement.status == "skipped"
    assert "two-tower-user or two-tower-item" in (measurement.reason or "")


def test_cli_writes_a_mode_file_that_the_report_merges(repository: Path, tmp_path: Path) -> None:
    out = tmp_path / "run" / "recommend.json"
    arguments = ["-r", str(repository), "--out", str(out), "--items", "200", "--concurrency", "1"]
    result = CliRunner().invoke(app, [*arguments, "--window-s", "0.3", "--max-requests", "200"])
    assert result.exit_code == 0, result.output
    report = BenchmarkReport.read(out)
    assert [m.status for m in report.measurements] == ["ok"]
    assert f"POST {ENDPOINT}" in to_markdown(merge([report], "cpu"))
