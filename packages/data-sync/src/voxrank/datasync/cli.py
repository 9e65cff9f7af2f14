"""`voxrank-sync`: sync the DMM catalog, serve a fake API, report on data quality."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from voxrank.datasync import __version__
from voxrank.datasync.engine import DEFAULT_LOWER_BOUND, SyncOptions, SyncSummary, default_worker_name
from voxrank.datasync.errors import SyncError
from voxrank.datasync.planner import Scope
from voxrank.datasync.settings import SyncSettings

if TYPE_CHECKING:
    from voxrank.datasync.analyses.output import Analysis

app = typer.Typer(help="Sync the DMM Web Service API v3 catalog into a database.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)

BENCH_OUT = Path("bench-results/data-sync")
REPORTS_OUT = typer.Option(Path("sync-reports"), "--out", help="Folder for the Markdown, JSON and PNG files.")
DATABASE_OPTION = typer.Option(None, "--database-url", help="Overrides VOXRANK_DATABASE_URL.")


def _print_version(value: bool) -> None:
    if value:
        console.print(f"voxrank-sync {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """voxrank catalog sync."""


def _fail(error: Exception) -> typer.Exit:
    errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


def _settings(**overrides: Any) -> SyncSettings:
    try:
        return SyncSettings(**{key: value for key, value in overrides.items() if value is not None})
    except ValueError as error:
        raise _fail(error) from None


def _print_summary(summary: SyncSummary) -> None:
    if summary.status == "already-complete":
        console.print(
            f"run {summary.run_id} is already complete: nothing to fetch (use --fresh or --incremental)"
        )
        return
    console.print(
        f"run {summary.run_id} ({summary.mode}) {summary.status}: {summary.items_written} items from "
        f"{summary.pages_fetched} pages in {summary.elapsed_s:.1f} s "
        f"({summary.planning_s:.1f} s of it planning; {summary.items_per_second:.0f} items/s), "
        f"{summary.quarantined} quarantined, {summary.requests} requests"
        + (f", watermark {summary.watermark}" if summary.watermark else "")
    )
    if summary.reference_entries:
        console.print(f"reference tables: {summary.reference_entries}")
    if summary.status == "incomplete":
        console.print("other workers still hold partitions of this run; it completes when they finish")


def _sync(
    settings: SyncSettings,
    options: SyncOptions,
    quiet: bool,
    summary_json: Path | None = None,
    reference: bool = False,
) -> None:
    from voxrank.datasync.progress import RichProgress
    from voxrank.datasync.session import synchronize

    try:
        if quiet:
            summary = asyncio.run(synchronize(settings, options, reference=reference))
        else:
            with RichProgress(console) as progress:
                summary = asyncio.run(synchronize(settings, options, progress, reference=reference))
    except SyncError as error:
        raise _fail(error) from None
    _print_summary(summary)
    if summary_json is not None:
        summary_json.write_text(json.dumps(asdict(summary), default=str, indent=2) + "\n")


@app.command()
def run(
    *,
    site: str = typer.Option("FANZA", help="DMM.com or FANZA."),
    service: str | None = typer.Option(None, help="Service code from FloorList, e.g. digital."),
    floor: str | None = typer.Option(None, help="Floor code from FloorList, e.g. videoa."),
    database_url: str | None = DATABASE_OPTION,
    api_base_url: str | None = typer.Option(None, help="Overrides VOXRANK_API_BASE_URL (e.g. the fake API)."),
    concurrency: int | None = typer.Option(None, help="Concurrent requests (VOXRANK_CONCURRENCY)."),
    pages_in_progress: int | None = typer.Option(
        None, min=1, help="Pages fetched at once, retries waiting included (default 2 x concurrency)."
    ),
    rate_limit: float | None = typer.Option(None, help="Requests per second (VOXRANK_RATE_LIMIT)."),
    offset_cap: int | None = typer.Option(None, help="The API's offset cap (default 50000)."),
    incremental: bool = typer.Option(False, help="Fetch only items newer than the last watermark."),
    overlap_hours: float = typer.Option(
        24.0, help="Incremental: re-fetch this many hours before the watermark."
    ),
    fresh: bool = typer.Option(False, help="Start a new full sync even if the last one finished."),
    since: Annotated[
        datetime, typer.Option(help="Lower bound of release dates (JST).")
    ] = DEFAULT_LOWER_BOUND,
    until: Annotated[
        datetime | None, typer.Option(help="Upper bound of release dates (JST); default now.")
    ] = None,
    worker: str | None = typer.Option(None, help="Worker name recorded on claimed partitions."),
    quiet: bool = typer.Option(False, help="No progress bars."),
    summary_json: Annotated[
        Path | None, typer.Option(help="Also write the run's summary as JSON here.")
    ] = None,
    reference: bool = typer.Option(False, help="Also refresh genres/makers/series/authors/actresses tables."),
) -> None:
    """Sync the catalog: plan date partitions, fetch pages, commit each with its checkpoint.

    Re-running resumes an unfinished sync; re-running a finished one fetches nothing. On PostgreSQL,
    start several `run` workers on the same database to share one sync.
    """
    settings = _settings(
        database_url=database_url, api_base_url=api_base_url, concurrency=concurrency, rate_limit=rate_limit,
        offset_cap=offset_cap,
    )  # fmt: skip
    options = SyncOptions(
        scope=Scope(site, service, floor), hits=settings.hits, concurrency=settings.concurrency,
        pages_in_progress=pages_in_progress, offset_cap=settings.offset_cap, lower_bound=since,
        upper_bound=until, incremental=incremental, overlap=timedelta(hours=overlap_hours), fresh=fresh,
        worker=worker or default_worker_name(),
    )  # fmt: skip
    _sync(settings, options, quiet, summary_json, reference)


@app.command()
def resume(
    *,
    site: str = typer.Option("FANZA", help="DMM.com or FANZA."),
    service: str | None = typer.Option(None),
    floor: str | None = typer.Option(None),
    database_url: str | None = DATABASE_OPTION,
    api_base_url: str | None = typer.Option(None),
    concurrency: int | None = typer.Option(None),
    rate_limit: float | None = typer.Option(None),
    repair: bool = typer.Option(False, help="Drop corrupt checkpoints and refetch their pages."),
    quiet: bool = typer.Option(False, help="No progress bars."),
) -> None:
    """Finish the last unfinished sync of a scope, taking over partitions held by dead workers."""
    from voxrank.datasync import runs
    from voxrank.datasync.storage.database import open_database

    settings = _settings(
        database_url=database_url, api_base_url=api_base_url, concurrency=concurrency, rate_limit=rate_limit
    )
    scope = Scope(site, service, floor)
    try:
        engine = open_database(settings.database_url)
    except SyncError as error:
        raise _fail(error) from None
    latest = runs.latest_run(engine, scope)
    engine.dispose()
    if latest is None or latest.status not in runs.UNFINISHED:
        raise _fail(SyncError(f"nothing to resume for {scope.key}: start one with `voxrank-sync run`"))
    options = SyncOptions(
        scope=scope, concurrency=settings.concurrency, incremental=latest.mode == "incremental",
        takeover=True, repair=repair,
    )  # fmt: skip
    _sync(settings, options, quiet)


@app.command()
def status(
    database_url: str | None = DATABASE_OPTION, run_id: int | None = typer.Option(None, "--run")
) -> None:
    """Show sync runs and, for the latest (or --run), its partitions and checkpoints."""
    from voxrank.datasync.status import run_status

    settings = _settings(database_url=database_url)
    try:
        overview = run_status(settings.database_url, run_id)
    except SyncError as error:
        raise _fail(error) from None
    runs_table = Table("run", "scope", "mode", "status", "window", "planned", "watermark", title="sync runs")
    for row in overview.runs:
        runs_table.add_row(
            str(row["id"]), row["scope"], row["mode"], row["status"],
            f"{row['lower_bound']} .. {row['upper_bound']}", str(row["planned_total"]), str(row["watermark"]),
        )  # fmt: skip
    console.print(runs_table)
    if overview.partitions:
        table = Table(
            "partition", "window", "total", "pages done", "status", "worker", title=f"run {overview.run_id}"
        )
        for row in overview.partitions:
            table.add_row(
                str(row["id"]), f"{row['gte_date']} .. {row['lte_date']}", str(row["total_count"]),
                f"{row['pages_done']}/{row['page_count']}", row["status"], str(row["worker"] or ""),
            )  # fmt: skip
        console.print(table)
    console.print(f"items: {overview.items}, quarantined: {overview.quarantined}")


def _write_analysis(name: str, database_url: str | None, out: Path, **options: Any) -> Analysis:
    from sqlalchemy.exc import OperationalError

    from voxrank.datasync.analyses import check, link, report, reviews
    from voxrank.datasync.storage.connections import create_database_engine, redact
    from voxrank.datasync.storage.database import open_database

    builders = {
        "report": report.build_report,
        "reviews": reviews.build_reviews,
        "link": link.build_link,
        "check": check.build_check,
        "diagnose": check.build_diagnosis,
    }
    settings = _settings(database_url=database_url)
    try:
        # check and diagnose look at the schema as it is; the others bring it to head first.
        opener = create_database_engine if name in ("check", "diagnose") else open_database
        engine = opener(settings.database_url)
        analysis = builders[name](engine, **options)
    except SyncError as error:
        raise _fail(error) from None
    except OperationalError as error:
        raise _fail(SyncError(f"cannot read {redact(settings.database_url)}: {error.orig}")) from None
    engine.dispose()
    for path in analysis.write(out):
        console.print(f"wrote {path}")
    return analysis


@app.command()
def report(database_url: str | None = DATABASE_OPTION, out: Path = REPORTS_OUT) -> None:
    """Rows vs API totals per partition, duplicates, null rate per field, freshness (MD, JSON, PNG)."""
    _write_analysis("report", database_url, out)


@app.command()
def reviews(database_url: str | None = DATABASE_OPTION, out: Path = REPORTS_OUT) -> None:
    """Review counts and averages against release dates over time (MD, JSON, PNG)."""
    _write_analysis("reviews", database_url, out)


@app.command("link")
def link_works(
    database_url: str | None = DATABASE_OPTION,
    out: Path = REPORTS_OUT,
    labelled_items: int = typer.Option(
        20_000, help="Size of the labelled synthetic set for precision/recall."
    ),
) -> None:
    """Group the same work across services and floors; precision and recall on a labelled set (MD, JSON)."""
    analysis = _write_analysis("link", database_url, out, labelled_items=labelled_items)
    evaluation = analysis.data["evaluation"]
    console.print(
        f"{analysis.data['groups']} groups; labelled set precision {evaluation['precision']:.4f}, "
        f"recall {evaluation['recall']:.4f}"
    )


@app.command()
def check(database_url: str | None = DATABASE_OPTION, out: Path = REPORTS_OUT) -> None:
    """Orphans, missing indexes, schema drift, stuck partitions; exits 1 when an error is found."""
    analysis = _write_analysis("check", database_url, out)
    table = Table("check", "severity", "detail", "suggested fix", title="database check")
    for finding in analysis.data["findings"]:
        table.add_row(finding["check"], finding["severity"], finding["detail"], finding["fix"])
    console.print(table)
    if any(finding["severity"] == "error" for finding in analysis.data["findings"]):
        raise typer.Exit(code=1)


@app.command()
def diagnose(database_url: str | None = DATABASE_OPTION, out: Path = REPORTS_OUT) -> None:
    """The checks plus per-run progress, partition states and quarantine reasons, with fixes (MD, JSON)."""
    analysis = _write_analysis("diagnose", database_url, out)
    problems = [f for f in analysis.data["findings"] if f["severity"] != "ok"]
    console.print(f"{len(problems)} problem(s); details in {out / 'diagnose.md'}")


@app.command("fake-api")
def fake_api(
    *,
    items: int = typer.Option(200_000, help="Catalog size."),
    seed: int = typer.Option(1, help="Catalog seed (same seed, same catalog)."),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8000),
    api_id: str | None = typer.Option(None, help="The only api_id accepted (default: any non-empty one)."),
    offset_cap: int = typer.Option(50_000, help="Offsets above this are refused with 400."),
    malformed_rate: float = typer.Option(0.0, help="Share of items served malformed (for quarantine)."),
    latency_ms: float = typer.Option(0.0, help="Latency added to every request."),
    fault_rate: float = typer.Option(0.0, help="Share of requests failing: 429, 503, stall, truncated body."),
    retry_after: int = typer.Option(1, help="Retry-After seconds sent with 429."),
    stall: float = typer.Option(30.0, help="Seconds a 'timeout' fault stalls before answering 504."),
) -> None:
    """Serve a deterministic synthetic catalog with the real API's shape, quirks and faults."""
    from voxrank.datasync.fakeapi.app import FakeApiConfig
    from voxrank.datasync.fakeapi.faults import FaultConfig
    from voxrank.datasync.fakeapi.server import serve

    faults = FaultConfig.spread(fault_rate, latency_ms=latency_ms, retry_after_s=retry_after, stall_s=stall)
    config = FakeApiConfig(
        items=items,
        seed=seed,
        api_id=api_id,
        offset_cap=offset_cap,
        malformed_rate=malformed_rate,
        faults=faults,
    )
    console.print(f"fake DMM API: {items} items (seed {seed}) on http://{host}:{port}/affiliate/v3/ItemList")
    serve(config, host=host, port=port)


@app.command()
def bench(
    *,
    out: Annotated[Path, typer.Option(help="Folder for sync_bench.json and .md.")] = BENCH_OUT,
    items: int = typer.Option(200_000),
    latency_ms: float = typer.Option(20.0),
    fault_rate: float = typer.Option(0.05),
    concurrency: int = typer.Option(8),
    offset_cap: int = typer.Option(50_000),
    sequential_items: int | None = typer.Option(
        None,
        help="The sequential client (concurrency 1) syncs only the newest this-many items (default: the "
        "whole catalog, as the concurrent client); 0 skips it.",
    ),
) -> None:
    """Benchmark a full sync of a fake catalog past the offset cap, concurrent against sequential."""
    from voxrank.datasync.bench import BenchConfig, run_bench, to_markdown

    config = BenchConfig(
        items=items, latency_ms=latency_ms, fault_rate=fault_rate, concurrency=concurrency,
        offset_cap=offset_cap, sequential_items=sequential_items,
    )  # fmt: skip
    result = run_bench(config, out)
    console.print(to_markdown(result))
    console.print(f"written to {out}")
