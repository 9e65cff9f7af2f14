"""The benchmark command end to end on a small catalog (figures are reported, never asserted)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from voxrank.datasync.cli import app


@pytest.mark.parametrize("sequential_items", [None, 300], ids=["whole-catalog", "newest-window"])
def test_bench_writes_json_and_markdown_for_both_clients(tmp_path, sequential_items) -> None:
    arguments = ["bench", "--items", "1500", "--offset-cap", "400", "--latency-ms", "1"]
    if sequential_items is not None:
        arguments += ["--sequential-items", str(sequential_items)]
    result = CliRunner().invoke(app, [*arguments, "--out", str(tmp_path)])

    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "sync_bench.json").read_text())
    concurrent, sequential = data["concurrent"], data["sequential"]
    assert concurrent["complete"] and sequential["complete"], (
        concurrent["comparison"],
        sequential["comparison"],
    )
    assert concurrent["partitions"] >= 3 and concurrent["max_partition_total"] <= 400
    if sequential_items is None:
        assert sequential["items"] == concurrent["items"] and sequential["pages"] == concurrent["pages"]
    else:
        assert sequential_items <= sequential["items"] < concurrent["items"]
    assert concurrent["peak_rss_mb"] > 10 and concurrent["cpu_s"] > 0
    assert data["speedup"] == concurrent["items_per_s"] / sequential["items_per_s"]
    for measured in (concurrent, sequential):
        # The fake API served every request of the sync, and no CPU time is counted twice: the sync's
        # and the fake API's CPU seconds fit in the machine's CPUs during the sync process's wall time.
        assert measured["fake_api_cpu_s"] > 0
        # Planning sends count requests before any page, so it takes time of its own within the wall time.
        assert 0 < measured["planning_s"] < measured["wall_s"]
        assert 0 < measured["cpu_share"] <= 1.05
        machine_cpu_s = measured["cpu_s"] + measured["fake_api_cpu_s"]
        cpus = data["machine"]["cpus"]
        assert measured["cpu_bound_items_per_s"] == cpus * measured["items"] / machine_cpu_s
    assert data["cpu_bound_speedup"] == concurrent["cpu_bound_items_per_s"] / sequential["items_per_s"]
    markdown = (tmp_path / "sync_bench.md").read_text()
    assert "| concurrent (8) |" in markdown and "CPU-bound ceiling" in markdown
    assert "| of it planning s |" in markdown
    window_note = "(a date window of the same catalog, same faults)"
    assert (window_note in markdown) == (sequential_items is not None)
