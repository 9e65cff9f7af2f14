"""Benchmarks that other packages own, registered here so that one `nox -s bench` run includes them.

A registered benchmark is a command that writes its results into the folder given in place of
`{output_dir}`, among them one JSON object in `result_file`. Any JSON object will do: its numeric
leaves become the measurement's figures under their dotted paths (keep the unit in the key: `_ms`,
`_per_s`, `_s`, `_mb`), which is what reports and tools/check_docs.py read. A command that is not
installed, fails or runs past its time limit is reported as such; it never stops the rest of the run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from voxrank.serving.bench.schema import Measurement, ParameterValue

OUTPUT_DIR = "{output_dir}"


@dataclass(frozen=True)
class ExternalBenchmark:
    name: str
    command: tuple[str, ...]
    description: str
    result_file: str
    timeout_s: float = 300.0


REGISTERED: tuple[ExternalBenchmark, ...] = (
    ExternalBenchmark(
        "data-sync",
        # 50,000 items still cross the offset cap (set to 20,000) and keep the suite within its 15 minutes.
        ("voxrank-sync", "bench", "--out", OUTPUT_DIR, "--items", "50000", "--offset-cap", "20000"),
        "catalog sync from the fake API: items/s, wall time, peak RSS, against a sequential client",
        "sync_bench.json",
    ),
    ExternalBenchmark(
        "retrieval",
        # The size issue #8 names. Every index is built from scratch in the run (faiss and pgvector use
        # both cores); the result keeps build time apart from query latency.
        (
            *("python", "-m", "voxrank.serving.recommend.benchmark", "--output", OUTPUT_DIR),
            *("--items", "200000", "--queries", "300"),
        ),
        "two-tower retrieval per vector store at 200k items: build time, P50/P99 latency, recall vs exact",
        "retrieval.json",
        timeout_s=600.0,
    ),
)


def flatten(value: object, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a JSON value keyed by dotted path; lists index their items."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, int | float):
        return {prefix: float(value)}
    if isinstance(value, Mapping):
        items: Iterable[tuple[object, object]] = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return {}
    figures: dict[str, float] = {}
    for key, item in items:
        figures.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return figures


def run_external(benchmark: ExternalBenchmark, output_dir: Path) -> Measurement:
    """Run one registered benchmark with `output_dir` as its folder; its JSON becomes the figures."""
    parameters: dict[str, ParameterValue] = {"command": " ".join(benchmark.command)}
    # "python" is this interpreter, so a module runs in the installation that runs the benchmarks.
    executable = sys.executable if benchmark.command[0] == "python" else shutil.which(benchmark.command[0])
    if executable is None:
        return _not_run(benchmark, parameters, "skipped", f"{benchmark.command[0]} is not installed")
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [
        executable,
        *(str(output_dir) if part == OUTPUT_DIR else part for part in benchmark.command[1:]),
    ]
    result = output_dir / benchmark.result_file
    started = time.perf_counter()
    # A session of its own, so that a timeout also stops the servers and workers the command started.
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=benchmark.timeout_s)
        except subprocess.TimeoutExpired:
            _stop_group(process)
            return _not_run(
                benchmark, parameters, "failed", f"ran past its limit of {benchmark.timeout_s:.0f} s"
            )
    parameters["wall_s"] = round(time.perf_counter() - started, 3)
    if process.returncode != 0 or not result.is_file():
        why = (stderr or stdout).strip().splitlines()
        reason = f"exit {process.returncode}: {why[-1] if why else 'no output'}"
        if process.returncode == 0:
            reason = f"exit 0 but no {benchmark.result_file} in {output_dir}"
        return _not_run(benchmark, parameters, "failed", reason[:300])
    try:
        figures = flatten(json.loads(result.read_text(encoding="utf-8")))
    except json.JSONDecodeError as error:
        return _not_run(benchmark, parameters, "failed", f"{result.name} is not JSON: {error}")
    return Measurement(mode="external", name=benchmark.name, parameters=parameters, figures=figures)


def _stop_group(process: subprocess.Popen[str]) -> None:
    for sig, grace in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _not_run(
    benchmark: ExternalBenchmark,
    parameters: dict[str, ParameterValue],
    status: str,
    reason: str,
) -> Measurement:
    return Measurement(
        mode="external",
        name=benchmark.name,
        parameters=parameters,
        status="skipped" if status == "skipped" else "failed",
        reason=reason,
    )


def run_registered(
    out_dir: Path, names: list[str] | None = None, registry: tuple[ExternalBenchmark, ...] = REGISTERED
) -> Iterator[Measurement]:
    for benchmark in registry:
        if not names or benchmark.name in names:
            yield run_external(benchmark, out_dir / benchmark.name)
