"""Registered external benchmarks: run as commands, JSON figures flattened, failures reported."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from voxrank.serving.bench.external import OUTPUT_DIR, ExternalBenchmark, flatten, run_registered

WRITE_JSON = (
    "import json, sys; json.dump({'items_per_s': 2500.5, 'runs': [{'wall_s': 80}], 'ok': True, 'label': 'x'},"
    " open(sys.argv[1] + '/result.json', 'w'))"
)


SPAWN_AND_WAIT = (
    "import pathlib, subprocess, sys, time; "
    "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "pathlib.Path(sys.argv[1], 'worker.pid').write_text(str(worker.pid)); time.sleep(60)"
)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; only its parent has not collected it yet.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_flatten_keeps_numeric_leaves_under_dotted_paths() -> None:
    data = {"a": {"p99_ms": 1.5, "name": "x", "ok": True}, "list": [1, {"b_per_s": 2}]}
    assert flatten(data) == {"a.p99_ms": 1.5, "list.0": 1.0, "list.1.b_per_s": 2.0}


def test_registered_commands_run_and_their_failures_are_reported(tmp_path: Path) -> None:
    registry = (
        ExternalBenchmark("writes", (sys.executable, "-c", WRITE_JSON, OUTPUT_DIR), "", "result.json"),
        ExternalBenchmark(
            "fails", (sys.executable, "-c", "import sys; sys.exit('no catalog')"), "", "r.json"
        ),
        ExternalBenchmark("absent", ("voxrank-no-such-command", "bench"), "not installed", "r.json"),
        ExternalBenchmark("silent", (sys.executable, "-c", "pass"), "writes nothing", "result.json"),
        ExternalBenchmark("slow", (sys.executable, "-c", SPAWN_AND_WAIT, OUTPUT_DIR), "", "r.json", 1.0),
    )
    results = {m.name: m for m in run_registered(tmp_path, registry=registry)}
    assert results["writes"].status == "ok"
    assert results["writes"].figures == {"items_per_s": 2500.5, "runs.0.wall_s": 80.0}
    assert (tmp_path / "writes" / "result.json").is_file()
    assert results["silent"].status == "failed"
    assert results["silent"].reason == f"exit 0 but no result.json in {tmp_path / 'silent'}"
    assert results["fails"].status == "failed"
    assert results["fails"].reason == "exit 1: no catalog"
    assert results["absent"].status == "skipped"
    assert "not installed" in (results["absent"].reason or "")
    assert results["slow"].status == "failed"
    assert "limit" in (results["slow"].reason or "")
    worker = int((tmp_path / "slow" / "worker.pid").read_text())
    # The signal reached the whole group; on a busy machine the worker may take a moment to die.
    deadline = time.monotonic() + 5
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker), "a timed-out benchmark's own children are stopped too"


def test_only_the_named_benchmarks_run(tmp_path: Path) -> None:
    registry = (
        ExternalBenchmark("one", (sys.executable, "-c", WRITE_JSON, OUTPUT_DIR), "", "result.json"),
        ExternalBenchmark("two", (sys.executable, "-c", WRITE_JSON, OUTPUT_DIR), "", "result.json"),
    )
    assert [m.name for m in run_registered(tmp_path, ["two"], registry)] == ["two"]
