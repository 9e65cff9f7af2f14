"""The sync engine: plan once, then fetch pages concurrently and commit each page with its checkpoint.

A page and its checkpoint are written in one transaction, so a run killed at any instant resumes at
the last committed page; a finished run re-run makes no item request; several PostgreSQL workers share
one run by claiming partitions.
"""

from __future__ import annotations

import asyncio
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine

from voxrank.datasync import runs
from voxrank.datasync.client import DmmClient
from voxrank.datasync.errors import SyncError
from voxrank.datasync.gcpolicy import bulk_allocation_gc
from voxrank.datasync.planner import Scope, plan_windows
from voxrank.datasync.process_usage import ProcessUsage
from voxrank.datasync.runs import Partition, SyncRun
from voxrank.datasync.storage.connections import leave_checkpoints_to_the_page_writer
from voxrank.datasync.storage.page_writer import BatchOutcome, FetchedPage, PageLocation
from voxrank.datasync.storage.writer_process import PackedPage, WriterProcess

JST = timezone(timedelta(hours=9))
DEFAULT_LOWER_BOUND = datetime(1990, 1, 1)
CLAIM_AHEAD_PAGES_PER_WORKER = 2
"""The next partition is claimed when this many pages per page worker are left to queue."""
MAX_PAGES_PER_COMMIT = 32
"""A larger group commit shares the B-tree pages that random content_ids dirty: at 40,000 items in
the catalog, 32 pages per commit cost the writer about 10% less CPU per page than 16, and 64 only 3%
less than 32 for twice the pages in memory."""
T = TypeVar("T")
PageJobs = asyncio.Queue[tuple[Partition, int] | None]
PackedPages = asyncio.Queue[PackedPage | None]


def now_jst() -> datetime:
    """The API's dates are Japan time without an offset."""
    return datetime.now(JST).replace(tzinfo=None, microsecond=0)


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class SyncOptions:
    scope: Scope
    hits: int = 100
    concurrency: int = 4
    """Requests on the wire at once (the client's slots)."""
    pages_in_progress: int | None = None
    """Pages being fetched at once, those waiting out a back-off or a Retry-After included; default
    twice `concurrency`, so that waits leave no request slot idle. With `concurrency` 1 and this 1,
    a sequential client: one request and one page fetched at a time (the page writer process still
    commits a page while the next one is fetched)."""
    offset_cap: int = 50_000
    lower_bound: datetime = DEFAULT_LOWER_BOUND
    upper_bound: datetime | None = None
    """Fixed when a run starts (default: now in JST) and saved with the plan."""
    incremental: bool = False
    overlap: timedelta = timedelta(days=1)
    fresh: bool = False
    takeover: bool = False
    """Treat partitions claimed by other workers as abandoned (`resume`, or any SQLite run)."""
    repair: bool = False
    worker: str = field(default_factory=default_worker_name)
    lease: timedelta = timedelta(minutes=5)

    @property
    def page_workers(self) -> int:
        return self.pages_in_progress or 2 * self.concurrency


@dataclass
class SyncSummary:
    run_id: int
    mode: str
    status: str
    """done | already-complete | incomplete (other workers still hold partitions)"""
    partitions: int = 0
    pages_fetched: int = 0
    items_written: int = 0
    quarantined: int = 0
    requests: int = 0
    pages_in_progress: int = 0
    peak_requests_in_flight: int = 0
    elapsed_s: float = 0.0
    planning_s: float = 0.0
    """Of elapsed_s, the time before the first page could be fetched: choosing the run, planning its
    partitions (count requests, which meet the API's faults too) and starting the page writer."""
    watermark: datetime | None = None
    reference_entries: dict[str, int] = field(default_factory=dict)
    """Entries stored per reference kind, when the run also refreshed the reference tables."""
    process: ProcessUsage | None = None
    """CPU time and peak RSS of the process that ran the sync..."""
    writer: ProcessUsage | None = None
    """... and of its page writer's process (None when the run was already complete)."""

    @property
    def items_per_second(self) -> float:
        return self.items_written / self.elapsed_s if self.elapsed_s else 0.0


class ProgressSink(Protocol):
    def planned(self, run: SyncRun, partitions: int, pages_total: int, pages_done: int) -> None: ...
    def partition_started(self, partition: Partition, pages_done: int) -> None: ...
    def page_committed(self, partition: Partition, items: int) -> None: ...
    def partition_finished(self, partition: Partition) -> None: ...


class Synchronizer:
    def __init__(
        self, engine: Engine, client: DmmClient, options: SyncOptions, progress: ProgressSink | None = None
    ) -> None:
        self.engine = engine
        self.client = client
        self.options = options
        self.progress = progress
        self._partitions: dict[int, Partition] = {}
        self._started = 0.0
        # One thread owns every database call: SQLite has one writer, and the event loop never blocks.
        self._database = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voxrank-db")

    async def _db(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._database, partial(function, *args))

    async def run(self) -> SyncSummary:
        self._started = time.perf_counter()
        requests_before = self.client.attempts.total()
        try:
            with bulk_allocation_gc():
                summary = await self._run()
        finally:
            self._database.shutdown(wait=True)
        summary.requests = self.client.attempts.total() - requests_before
        summary.pages_in_progress = self.options.page_workers
        summary.peak_requests_in_flight = self.client.peak_in_flight
        summary.elapsed_s = time.perf_counter() - self._started
        summary.process = ProcessUsage.of_this_process()
        return summary

    async def _run(self) -> SyncSummary:
        database_url = self.engine.url.render_as_string(hide_password=False)
        leave_checkpoints_to_the_page_writer(self.engine)
        async with WriterProcess(database_url) as writer:
            return await self._sync(writer)

    async def _sync(self, writer: WriterProcess) -> SyncSummary:
        run = await self._prepare(writer)
        if run is None:
            latest = runs.latest_run(self.engine, self.options.scope)
            assert latest is not None
            return SyncSummary(run_id=latest.id, mode=latest.mode, status="already-complete")
        summary = SyncSummary(run_id=run.id, mode=run.mode, status="running")
        try:
            await self._fetch(run, summary, writer)
        except SyncError as error:
            await self._db(runs.set_run_status, self.engine, run.id, "failed", str(error))
            raise
        if await self._db(runs.unfinished_partitions, self.engine, run.id):
            summary.status = "incomplete"
        else:
            summary.watermark = await self._db(runs.finish_run, self.engine, run)
            summary.status = "done"
        return summary

    # Choosing and planning the run ---------------------------------------------------------------

    async def _prepare(self, writer: WriterProcess) -> SyncRun | None:
        options, engine = self.options, self.engine
        with runs.scope_lock(engine, options.scope):
            run = self._choose_run()
            if run is None:
                return None
            writer.start()  # it comes up while the run is planned
            if run.status == "planning":
                windows = await plan_windows(
                    self.client, options.scope, run.lower_bound, run.upper_bound, run.offset_cap
                )
                runs.save_plan(engine, run, windows)
            elif run.status == "failed":
                runs.set_run_status(engine, run.id, "running")
        if options.repair:
            runs.repair_checkpoints(engine, run)
        runs.verify_checkpoints(engine, run)
        if options.takeover or engine.dialect.name == "sqlite":
            runs.release_claims(engine, run.id)
        refreshed = runs.get_run(engine, run.id)
        assert refreshed is not None
        return refreshed

    def _choose_run(self) -> SyncRun | None:
        options, engine = self.options, self.engine
        upper = options.upper_bound or now_jst()
        latest = runs.latest_run(engine, options.scope)
        if latest is not None and latest.status in runs.UNFINISHED and not options.fresh:
            if options.incremental == (latest.mode == "incremental"):
                return latest
            raise SyncError(
                f"run {latest.id} ({latest.mode}) is unfinished: finish it with `voxrank-sync resume` first"
            )
        if options.incremental:
            watermark = runs.last_watermark(engine, options.scope)
            if watermark is None:
                raise SyncError("no finished sync to continue from: run a full sync before --incremental")
            lower = watermark - options.overlap
            return runs.create_run(
                engine, options.scope, mode="incremental", lower=lower, upper=upper,
                hits=options.hits, offset_cap=options.offset_cap,
            )  # fmt: skip
        if latest is not None and latest.status == "done" and not options.fresh:
            return None
        return runs.create_run(
            engine, options.scope, mode="full", lower=options.lower_bound, upper=upper,
            hits=options.hits, offset_cap=options.offset_cap,
        )  # fmt: skip

    # Fetching --------------------------------------------------------------------------------------

    async def _fetch(self, run: SyncRun, summary: SyncSummary, writer: WriterProcess) -> None:
        if self.progress is not None:
            self.progress.planned(run, *(await self._db(runs.plan_progress, self.engine, run.id)))
        workers = self.options.page_workers
        jobs: PageJobs = asyncio.Queue(maxsize=workers)
        # Room for one full group commit: fetchers keep going while the writer commits the last one.
        fetched: PackedPages = asyncio.Queue(maxsize=max(workers, MAX_PAGES_PER_COMMIT))
        await writer.ready()
        summary.planning_s = time.perf_counter() - self._started
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._write_pages(writer, fetched, summary))
                group.create_task(self._fetch_pages(run, jobs, fetched, summary))
        except ExceptionGroup as errors:
            raise _first_leaf(errors) from None

    async def _fetch_pages(
        self, run: SyncRun, jobs: PageJobs, fetched: PackedPages, summary: SyncSummary
    ) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._produce(run, jobs, summary))
            for _ in range(self.options.page_workers):
                group.create_task(self._consume(run, jobs, fetched))
        await fetched.put(None)

    async def _produce(self, run: SyncRun, jobs: PageJobs, summary: SyncSummary) -> None:
        claiming = self._claim(run)
        try:
            while (partition := await claiming) is not None:
                missing = await self._start_partition(partition, run, summary)
                # The next partition is claimed while this one's last pages are still queued: a claim
                # writes, so on SQLite it waits for the writer's group commit to end, and the queued
                # pages keep the fetchers busy meanwhile.
                claim_at = max(len(missing) - CLAIM_AHEAD_PAGES_PER_WORKER * self.options.page_workers, 0)
                for offset in missing[:claim_at]:
                    await jobs.put((partition, offset))
                claiming = self._claim(run)
                for offset in missing[claim_at:]:
                    await jobs.put((partition, offset))
        finally:
            claiming.cancel()
        for _ in range(self.options.page_workers):
            await jobs.put(None)

    async def _start_partition(self, partition: Partition, run: SyncRun, summary: SyncSummary) -> list[int]:
        """The offsets of the claimed `partition`'s pages not committed yet; a partition with none
        left is marked done."""
        summary.partitions += 1
        self._partitions[partition.id] = partition
        done = await self._db(runs.committed_offsets, self.engine, partition.id)
        if self.progress is not None:
            self.progress.partition_started(partition, len(done))
        offsets = runs.page_offsets(partition.total_count, run.hits)
        missing = [offset for offset in offsets if offset not in done]
        if not missing:
            await self._db(runs.mark_partition_done, self.engine, partition.id)
            if self.progress is not None:
                self.progress.partition_finished(partition)
        return missing

    def _claim(self, run: SyncRun) -> asyncio.Future[Partition | None]:
        options = self.options
        return asyncio.ensure_future(
            self._db(runs.claim_partition, self.engine, run.id, options.worker, options.lease)
        )

    async def _consume(self, run: SyncRun, jobs: PageJobs, fetched: PackedPages) -> None:
        scope = self.options.scope
        while (job := await jobs.get()) is not None:
            partition, offset = job
            result = await self.client.item_list(
                site=scope.site, service=scope.service, floor=scope.floor, hits=run.hits, offset=offset,
                sort="date", gte_date=partition.gte, lte_date=partition.lte,
            )  # fmt: skip
            page = FetchedPage.from_raw(PageLocation(run.id, partition.id, offset), result.items)
            await fetched.put(PackedPage.of(page))

    async def _write_pages(self, writer: WriterProcess, fetched: PackedPages, summary: SyncSummary) -> None:
        """The single writer: takes every page waiting in the queue and commits them together."""
        finished = False
        while not finished:
            first = await fetched.get()
            if first is None:
                break
            batch = [first]
            while not fetched.empty() and len(batch) < MAX_PAGES_PER_COMMIT:
                page = fetched.get_nowait()
                if page is None:
                    finished = True
                    break
                batch.append(page)
            outcome = await writer.write(batch)
            summary.pages_fetched += len(batch)
            summary.items_written += outcome.written
            summary.quarantined += outcome.quarantined
            self._report(batch, outcome)
        await writer.checkpoint()
        summary.writer = await writer.usage()

    def _report(self, batch: list[PackedPage], outcome: BatchOutcome) -> None:
        if self.progress is None:
            return
        for page, items in zip(batch, outcome.page_items, strict=True):
            self.progress.page_committed(self._partitions[page.location.partition_id], items)
        for partition_id in outcome.finished_partitions:
            self.progress.partition_finished(self._partitions[partition_id])


def _first_leaf(errors: BaseExceptionGroup) -> BaseException:
    first = errors.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first
