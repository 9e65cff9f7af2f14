"""`voxrank-sync bench`: sync a large fake catalog through the offset cap, concurrent and sequential.

The fake API and each sync run in their own processes (no shared GIL); each sync's CPU time comes
from os.wait4 on its process (its page writer process included), its peak RSS from the summaries
both processes report, the fake API's CPU time during it from the API's own stats. Writes JSON and
Markdown.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from voxrank.datasync.client import DmmClient
from voxrank.datasync.fakeapi.server import FakeApiProcess
from voxrank.datasync.fakeapi.verify import compare_with_source
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database

TARGET_ITEMS_PER_S = 2000.0
TARGET_SPEEDUP = 6.0
TARGET_RSS_MB = 300.0
UNTIL = "2026-01-01T00:00:00"


@dataclass(frozen=True)
class BenchConfig:
    items: int = 200_000
    seed: int = 1
    latency_ms: float = 20.0
    fault_rate: float = 0.05
    concurrency: int = 8
    """Requests on the wire at once; the concurrent client keeps the engine's default of pages in
    progress, so pages waiting out a back-off leave their request slot to others."""
    offset_cap: int = 50_000
    timeout_s: float = 1.0
    stall_s: float = 3.0
    retry_after_s: int = 1
    sequential_items: int | None = None
    """None: the sequential client (one request, one page at a time) syncs the whole catalog, the
    concurrent client's work; a number: only the newest this-many items (a date window, a shorter run
    whose few hundred requests are too small a sample of the seeded faults to stand for their rate);
    0 skips it."""

    @property
    def sequential_window(self) -> int | None:
        """The newest this-many items, when the sequential client syncs only part of the catalog."""
        items = self.sequential_items
        return items if items is not None and 0 < items < self.items else None


@dataclass
class SyncMeasurement:
    concurrency: int
    pages_in_progress: int
    peak_requests_in_flight: int
    wall_s: float
    planning_s: float
    """Of wall_s, the time before the first page could be fetched (run chosen and planned, page writer
    started): the concurrent client does not shorten it."""
    process_wall_s: float
    items: int
    items_per_s: float
    pages: int
    requests: int
    partitions: int
    max_partition_total: int
    peak_rss_mb: float
    """The sync process's peak plus its page writer process's peak (at most their peak together)."""
    cpu_s: float
    """User + system CPU of the sync process and its page writer: steadier than wall time on a shared
    machine."""
    writer_cpu_s: float
    fake_api_cpu_s: float
    """The fake API's CPU while the sync process ran: it shares the machine's CPUs."""
    cpu_share: float
    """(cpu_s + fake_api_cpu_s) / (CPUs x process_wall_s): near 1, the run was bound by CPU, not by
    waiting."""
    cpu_bound_items_per_s: float
    """Items per second if every CPU of the machine ran this sync's and the fake API's work all the
    time (CPUs x items / their CPU seconds): a ceiling no concurrency can pass on this machine."""
    writer_peak_rss_mb: float
    complete: bool
    comparison: str


@dataclass
class BenchResult:
    config: BenchConfig
    concurrent: SyncMeasurement
    sequential: SyncMeasurement | None
    speedup: float | None
    cpu_bound_speedup: float | None
    """The concurrent client's CPU-bound ceiling over the sequential client's items/s."""
    machine: dict[str, Any] = field(default_factory=dict)

    def targets(self) -> dict[str, bool]:
        checks = {
            f">= {TARGET_ITEMS_PER_S:.0f} items/s": self.concurrent.items_per_s >= TARGET_ITEMS_PER_S,
            f"peak RSS <= {TARGET_RSS_MB:.0f} MB": self.concurrent.peak_rss_mb <= TARGET_RSS_MB,
            "complete (database equals source)": self.concurrent.complete,
        }
        if self.speedup is not None:
            checks[f">= {TARGET_SPEEDUP:.0f}x sequential"] = self.speedup >= TARGET_SPEEDUP
        return checks


def _partition_stats(database_url: str) -> tuple[int, int]:
    engine = open_database(database_url)
    with engine.connect() as connection:
        count, largest = connection.execute(
            select(func.count(), func.max(schema.partitions.c.total_count))
        ).one()
    engine.dispose()
    return int(count), int(largest or 0)


def newest_window_start(fake: FakeApiProcess, items: int, offset_cap: int) -> str:
    """The release date (ISO) of the `items`-th newest FANZA item, asked of the API itself."""

    async def ask() -> str:
        async with DmmClient("bench-api-id", "bench-990", base_url=f"{fake.base_url}/affiliate/v3") as client:
            page = await client.item_list(site="FANZA", sort="date", hits=1, offset=min(items, offset_cap))
        return str(page.items[0]["date"]).replace(" ", "T")

    return asyncio.run(ask())


@dataclass
class _FinishedSync:
    concurrency: int
    database_url: str
    since: str | None
    summary: dict[str, Any]
    usage: resource.struct_rusage
    process_wall_s: float
    fake_api_cpu_s: float


def run_sync_process(
    fake: FakeApiProcess,
    config: BenchConfig,
    workdir: Path,
    *,
    concurrency: int,
    pages_in_progress: int | None = None,
    since: str | None = None,
) -> _FinishedSync:
    """One `voxrank-sync run` in its own process (`pages_in_progress` None: the engine's default);
    its rusage comes from os.wait4 on that process."""
    database_url = f"sqlite:///{workdir / f'bench-c{concurrency}.db'}"
    summary_path = workdir / f"summary-c{concurrency}.json"
    env = dict(os.environ)
    env.update(
        VOXRANK_DMM_API_ID="bench-api-id",
        VOXRANK_DMM_AFFILIATE_ID="bench-990",
        VOXRANK_DATABASE_URL=database_url,
        VOXRANK_API_BASE_URL=f"{fake.base_url}/affiliate/v3",
        VOXRANK_RATE_LIMIT="10000",
        VOXRANK_TIMEOUT_S=str(config.timeout_s),
        VOXRANK_MAX_ATTEMPTS="10",
        VOXRANK_OFFSET_CAP=str(config.offset_cap),
    )
    command = [
        sys.executable, "-m", "voxrank.datasync", "run", "--quiet", "--concurrency", str(concurrency),
        "--until", UNTIL, "--summary-json", str(summary_path), *(["--since", since] if since else []),
        *(["--pages-in-progress", str(pages_in_progress)] if pages_in_progress else []),
    ]  # fmt: skip
    fake_api_cpu_before = fake.stats()["cpu_s"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process_wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"the benchmark sync exited with {process.returncode}")
    summary = json.loads(summary_path.read_text())
    fake_api_cpu_s = fake.stats()["cpu_s"] - fake_api_cpu_before
    return _FinishedSync(concurrency, database_url, since, summary, usage, process_wall_s, fake_api_cpu_s)


def measure(fake: FakeApiProcess, finished: _FinishedSync) -> SyncMeasurement:
    summary, usage = finished.summary, finished.usage
    comparison = compare_with_source(finished.database_url, fake.base_url, since=finished.since)
    partitions, largest = _partition_stats(finished.database_url)
    process, writer = summary["process"], summary["writer"]
    # The writer process was reaped by the sync process, so wait4 counts its CPU time too.
    cpu_s = usage.ru_utime + usage.ru_stime
    machine_cpu_s = cpu_s + finished.fake_api_cpu_s
    cpus = usable_cpus()
    return SyncMeasurement(
        concurrency=finished.concurrency,
        pages_in_progress=summary["pages_in_progress"],
        peak_requests_in_flight=summary["peak_requests_in_flight"],
        wall_s=summary["elapsed_s"],
        planning_s=summary["planning_s"],
        process_wall_s=finished.process_wall_s,
        items=summary["items_written"],
        items_per_s=summary["items_written"] / summary["elapsed_s"],
        pages=summary["pages_fetched"],
        requests=summary["requests"],
        partitions=partitions,
        max_partition_total=largest,
        peak_rss_mb=process["peak_rss_mb"] + writer["peak_rss_mb"],
        cpu_s=cpu_s,
        writer_cpu_s=writer["cpu_s"],
        fake_api_cpu_s=finished.fake_api_cpu_s,
        cpu_share=machine_cpu_s / (cpus * finished.process_wall_s),
        cpu_bound_items_per_s=cpus * summary["items_written"] / machine_cpu_s,
        writer_peak_rss_mb=writer["peak_rss_mb"],
        complete=comparison.equal,
        comparison=comparison.describe(),
    )


def run_bench(config: BenchConfig, out: Path) -> BenchResult:
    fake = FakeApiProcess(
        items=config.items, seed=config.seed, offset_cap=config.offset_cap, latency_ms=config.latency_ms,
        fault_rate=config.fault_rate, retry_after_s=config.retry_after_s, stall_s=config.stall_s,
    )  # fmt: skip
    with fake, tempfile.TemporaryDirectory(prefix="voxrank-sync-bench-") as scratch:
        workdir = Path(scratch)
        # Both syncs run before this process loads the source catalog for the comparisons: a child's
        # ru_maxrss starts from its parent's high-water mark at fork time.
        finished = [run_sync_process(fake, config, workdir, concurrency=config.concurrency)]
        if config.sequential_items != 0:
            window = config.sequential_window
            since = None if window is None else newest_window_start(fake, window, config.offset_cap)
            finished.append(
                run_sync_process(fake, config, workdir, concurrency=1, pages_in_progress=1, since=since)
            )
        measured = [measure(fake, sync) for sync in finished]
    concurrent, sequential = measured[0], (measured[1] if len(measured) > 1 else None)
    speedup = concurrent.items_per_s / sequential.items_per_s if sequential else None
    ceiling = concurrent.cpu_bound_items_per_s / sequential.items_per_s if sequential else None
    result = BenchResult(config, concurrent, sequential, speedup, ceiling, _machine())
    write_results(result, out)
    return result


def usable_cpus() -> int:
    """The CPUs this process may run on (a container's share, where the OS tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": usable_cpus(),
        "load_average_at_end": os.getloadavg(),
        "bench_process_peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def write_results(result: BenchResult, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    payload = asdict(result) | {"targets": result.targets()}
    json_path = out / "sync_bench.json"
    json_path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    markdown_path = out / "sync_bench.md"
    markdown_path.write_text(to_markdown(result))
    return json_path, markdown_path


def _sequential_work(config: BenchConfig, sequential: SyncMeasurement) -> str:
    if config.sequential_window is None:
        return f"The sequential client synced the same {sequential.items:,} items"
    return (
        f"The sequential client synced the newest {sequential.items:,} items (a date window of the same "
        "catalog, same faults) to keep the benchmark short"
    )


def to_markdown(result: BenchResult) -> str:
    config = result.config
    lines = [
        "# data-sync benchmark",
        "",
        f"Fake catalog of {config.items:,} items (seed {config.seed}), {config.latency_ms:g} ms latency "
        f"per request, {config.fault_rate:.0%} faults (429 with Retry-After {config.retry_after_s} s, 503, "
        f"stalls past the {config.timeout_s:g} s client timeout, truncated bodies), "
        f"offset cap {config.offset_cap:,}. "
        "Fake API and each sync in separate processes (each sync with its page writer process); "
        "SQLite (WAL) database; rate limit lifted.",
        "",
        "| client | pages in progress | peak requests in flight | wall s | of it planning s | items "
        "| items/s | pages | requests | partitions | largest partition | peak RSS MB (of it writer) "
        "| CPU s (of it writer) | fake API CPU s | CPU share | CPU-bound items/s | complete |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, measured in (("concurrent", result.concurrent), ("sequential", result.sequential)):
        if measured is None:
            continue
        lines.append(
            f"| {name} ({measured.concurrency}) | {measured.pages_in_progress} | "
            f"{measured.peak_requests_in_flight} | {measured.wall_s:.1f} | {measured.planning_s:.1f} | "
            f"{measured.items:,} | "
            f"{measured.items_per_s:,.0f} | {measured.pages:,} | {measured.requests:,} | "
            f"{measured.partitions} | "
            f"{measured.max_partition_total:,} | {measured.peak_rss_mb:.0f} "
            f"({measured.writer_peak_rss_mb:.0f}) | {measured.cpu_s:.1f} ({measured.writer_cpu_s:.1f}) | "
            f"{measured.fake_api_cpu_s:.1f} | {measured.cpu_share:.0%} | "
            f"{measured.cpu_bound_items_per_s:,.0f} | {measured.complete} |"
        )
    if result.speedup is not None and result.sequential is not None:
        lines += [
            "",
            f"Speed-up of the concurrent client over the sequential one (items/s): "
            f"**{result.speedup:.1f}x**. {_sequential_work(config, result.sequential)}, one request and "
            "one page at a time. The concurrent client never has more requests on the wire than its "
            "concurrency; a page waiting out a back-off or a Retry-After leaves its request slot to another "
            "page.",
        ]
    if result.cpu_bound_speedup is not None:
        concurrent, cpus = result.concurrent, result.machine.get("cpus")
        lines += [
            "",
            f"CPU-bound ceiling: the concurrent run took {concurrent.cpu_s:.1f} CPU s in the sync and "
            f"{concurrent.fake_api_cpu_s:.1f} in the fake API for {concurrent.items:,} items, so on this "
            f"machine's {cpus} CPUs no client doing the same work per item passes "
            f"{concurrent.cpu_bound_items_per_s:,.0f} items/s, **{result.cpu_bound_speedup:.1f}x** the "
            f"sequential client, whatever its concurrency; it used {concurrent.cpu_share:.0%} of the CPUs.",
        ]
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {name} | {'yes' if met else 'no'} |" for name, met in result.targets().items()]
    machine = result.machine
    lines += [
        "",
        f"Machine: {machine.get('cpus')} CPUs, load average at end {machine.get('load_average_at_end')}, "
        f"Python {machine.get('python')}.",
        "",
    ]
    return "\n".join(lines)
