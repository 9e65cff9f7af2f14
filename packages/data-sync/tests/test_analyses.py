"""report, reviews, link, check and diagnose on a real synced SQLite catalog."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from datetime import datetime

import pytest
from typer.testing import CliRunner

from voxrank.datasync.catalog import count_items
from voxrank.datasync.cli import app
from voxrank.datasync.engine import SyncOptions
from voxrank.datasync.fakeapi.server import FakeApiProcess
from voxrank.datasync.planner import Scope
from voxrank.datasync.session import synchronize
from voxrank.datasync.settings import SyncSettings


@pytest.fixture(scope="module")
def synced(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("synced") / "catalog.db"
    with FakeApiProcess(items=1500, offset_cap=300, malformed_rate=0.01) as fake:
        settings = SyncSettings(
            dmm_api_id="id", dmm_affiliate_id="voxrank-990", database_url=f"sqlite:///{path}",
            api_base_url=f"{fake.base_url}/affiliate/v3", rate_limit=1000, offset_cap=300,
        )  # fmt: skip
        options = SyncOptions(scope=Scope("FANZA"), offset_cap=300, upper_bound=datetime(2026, 1, 1))
        asyncio.run(synchronize(settings, options))
    return str(path)


@pytest.fixture
def database(synced, tmp_path) -> str:
    """A private copy of the synced catalog that a test may damage."""
    copy = tmp_path / "catalog.db"
    shutil.copy(synced, copy)
    return str(copy)


def _run(command: str, database: str, out, *extra: str):
    return CliRunner().invoke(
        app, [command, "--database-url", f"sqlite:///{database}", "--out", str(out), *extra]
    )


def test_report_compares_rows_with_api_totals_per_partition(database, tmp_path) -> None:
    result = _run("report", database, tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "report.json").read_text())
    assert len(data["partitions"]) >= 2
    assert all(row["difference"] == 0 for row in data["partitions"])
    assert all(row["rows"] + row["quarantined"] == row["api_total"] for row in data["partitions"])
    assert sum(row["quarantined"] for row in data["partitions"]) > 0
    assert data["duplicates"]["rows"] == count_items(f"sqlite:///{database}")
    assert 0 < data["null_rates"]["list_price"] < 0.2
    assert (tmp_path / "report-overview.png").stat().st_size > 10_000
    assert "Rows vs API totals" in (tmp_path / "report.md").read_text()


def test_reviews_cover_every_dated_item_by_month(database, tmp_path) -> None:
    assert _run("reviews", database, tmp_path).exit_code == 0
    data = json.loads((tmp_path / "reviews.json").read_text())
    assert data["items_with_release_date"] == count_items(f"sqlite:///{database}")
    assert 0 < data["reviewed_items"] < data["items_with_release_date"]
    assert all(1.0 <= row["mean_average"] <= 5.0 for row in data["months"] if row["mean_average"] is not None)
    assert (tmp_path / "reviews-over-time.png").exists()


def test_link_groups_releases_of_one_work_with_high_precision_and_recall(database, tmp_path) -> None:
    result = _run("link", database, tmp_path, "--labelled-items", "4000")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "link.json").read_text())
    assert data["groups"] > 0
    assert all(len({member.rstrip("0123456789")[:3] for member in group}) == 1 for group in data["examples"])
    assert data["evaluation"]["precision"] >= 0.95 and data["evaluation"]["recall"] >= 0.95


def test_check_passes_a_clean_database(database, tmp_path) -> None:
    result = _run("check", database, tmp_path)
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "check.json").read_text())["findings"]
    assert {f["check"]: f["severity"] for f in findings}["quarantine"] == "warning"
    assert all(f["severity"] == "ok" for f in findings if f["check"] != "quarantine")


def test_check_and_diagnose_find_orphans_missing_indexes_drift_and_stuck_partitions(
    database, tmp_path
) -> None:
    with sqlite3.connect(database) as connection:
        connection.execute("DROP INDEX ix_items_release_date")
        connection.execute("INSERT INTO item_genres (content_id, genre_id) VALUES ('gone', '1')")
        connection.execute("ALTER TABLE items ADD COLUMN legacy_rank INTEGER")
        connection.execute(
            "UPDATE partitions SET status = 'running', heartbeat_at = '2020-01-01 00:00:00' WHERE id = 1"
        )

    result = _run("check", database, tmp_path)

    assert result.exit_code == 1
    findings = json.loads((tmp_path / "check.json").read_text())["findings"]
    by_check = {}
    for finding in findings:
        by_check.setdefault(finding["check"], []).append(finding)
    assert (
        by_check["missing index"][0]["fix"] == "CREATE INDEX ix_items_release_date ON items (release_date);"
    )
    assert any("item_genres.content_id" in f["detail"] for f in by_check["orphans"])
    assert "legacy_rank" in by_check["schema drift"][0]["detail"]
    assert "resume" in by_check["stuck partition"][0]["fix"]

    assert _run("diagnose", database, tmp_path).exit_code == 0
    diagnosis = json.loads((tmp_path / "diagnose.json").read_text())
    assert diagnosis["runs"][0]["partition_status"].get("running") == 1
    assert diagnosis["quarantine_reasons"] and "date" in diagnosis["quarantine_reasons"][0]["reason"]


def test_check_reports_an_unmigrated_database(tmp_path) -> None:
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    result = _run("check", str(empty), tmp_path)
    assert result.exit_code == 1
    assert (
        "package expects 0001" in json.loads((tmp_path / "check.json").read_text())["findings"][0]["detail"]
    )
