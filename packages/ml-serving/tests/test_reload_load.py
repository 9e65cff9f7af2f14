"""The reload load tool end to end at a small size (the 2,000-request run is a command, not a unit test)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from voxrank.serving.cli import app
from voxrank.serving.reload_load import next_patch


def test_a_small_reload_load_run_passes_and_reports_latency(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    result = CliRunner().invoke(
        app, ["reload-load", "--requests", "60", "--concurrency", "4", "--reloads", "2", "--json", str(out)]
    )

    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["passed"] is True
    assert report["failures"] == 0
    assert report["statuses"] == {"200": report["requests"]}
    assert report["requests"] >= 60
    assert report["reloads_during_load"] == 2
    assert report["versions_served"][-1] == "1.0.2"
    assert 0 < report["p50_ms"] <= report["p99_ms"] <= report["max_ms"]


def test_repository_and_model_go_together(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["reload-load", "--repository", str(tmp_path)])
    assert result.exit_code == 1
    assert "both --repository and --model" in result.output


def test_next_patch() -> None:
    assert next_patch("1.4.9", 3) == "1.4.12"
