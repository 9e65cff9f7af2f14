"""The page writer in a process of its own, so that a sync's fetching and writing use two cores.

In one process the event loop (HTTP, JSON, validation, rows) and the writer thread (SQLite) shared
one GIL: the writer's statements release it for every row's step and wait to take it back while
the loop runs, so the two took turns on one core. In its own process the writer runs the statements
of the pages the loop prepared (their rows, pickled: cheap to queue and to send); each page and its
checkpoint are still committed in one transaction by `PageWriter`.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import pickle
import signal
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from types import TracebackType

from voxrank.datasync.errors import SyncError
from voxrank.datasync.gcpolicy import use_bulk_allocation_gc
from voxrank.datasync.process_usage import ProcessUsage
from voxrank.datasync.storage.connections import create_bulk_writer_engine
from voxrank.datasync.storage.page_writer import BatchOutcome, FetchedPage, PageLocation, PageWriter

PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class PackedPage:
    """A prepared page, pickled as soon as it is made: a page's rows take about 170 KB as bytes and
    several times that as Python objects, and bytes cross to the writer process as they are."""

    location: PageLocation
    data: bytes

    @classmethod
    def of(cls, page: FetchedPage) -> PackedPage:
        return cls(page.location, pickle.dumps(page, protocol=pickle.HIGHEST_PROTOCOL))

    def unpack(self) -> FetchedPage:
        page: FetchedPage = pickle.loads(self.data)
        return page


class WriterProcess:
    """`async with WriterProcess(database_url) as writer: outcome = await writer.write(pages)`.

    The database must already be migrated. Calls are served in order by one process that lives as
    long as the block, so the writer's cache of stored reference names lasts the whole sync. The
    process starts on `start()` or the first call, not on entering the block: a run that turns out
    to be complete starts none."""

    def __init__(self, database_url: str) -> None:
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            # spawn, not fork: the parent runs an event loop and a database thread at this point.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_writer,
            initargs=(database_url,),
        )
        self._started: Future[ProcessUsage] | None = None

    def start(self) -> Future[ProcessUsage]:
        """Start the process (about half a second) without waiting for it, so that the sync can plan
        its run meanwhile; the future is done once the process is up."""
        if self._started is None:
            self._started = self._pool.submit(ProcessUsage.of_this_process)
        return self._started

    async def ready(self) -> None:
        """Start the process if need be and wait until it is up: pages fetched before it is would pile
        up and make the first commit one large batch."""
        try:
            await asyncio.wrap_future(self.start())
        except BrokenProcessPool:
            raise SyncError("the page writer process could not start") from None

    async def write(self, pages: list[PackedPage]) -> BatchOutcome:
        """Write `pages` and their checkpoints in one transaction in the writer process."""
        try:
            return await asyncio.get_running_loop().run_in_executor(self._pool, _write, pages)
        except BrokenProcessPool:
            message = "the page writer process died; the pages it committed are kept: resume the sync"
            raise SyncError(message) from None

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file (SQLite; nothing on PostgreSQL): once the last page is
        written, as the sync's other connections leave checkpoints to the writer."""
        await asyncio.get_running_loop().run_in_executor(self._pool, _checkpoint)

    async def usage(self) -> ProcessUsage:
        """CPU time and peak RSS of the writer process so far."""
        return await asyncio.get_running_loop().run_in_executor(self._pool, ProcessUsage.of_this_process)

    async def __aenter__(self) -> WriterProcess:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        # Joining the process also reaps it, so its CPU time counts in this process's children's.
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)


_writer: PageWriter | None = None


def _start_writer(database_url: str) -> None:
    global _writer  # noqa: PLW0603 - one writer per process, made by the pool's initializer
    _die_with_parent()
    use_bulk_allocation_gc()
    engine = create_bulk_writer_engine(database_url)
    engine.connect().close()  # connect now, not during the first batch; the pool keeps the connection
    _writer = PageWriter(engine)


def _die_with_parent() -> None:
    """A SIGKILLed sync takes its writer with it, as a crash would: the batch being written rolls
    back rather than committing after its run is gone."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _write(pages: list[PackedPage]) -> BatchOutcome:
    assert _writer is not None, "the writer process was not initialised"
    return _writer.write([page.unpack() for page in pages])


def _checkpoint() -> None:
    assert _writer is not None, "the writer process was not initialised"
    if _writer.engine.dialect.name == "sqlite":
        # PASSIVE: a reader that is still open (a `status` call) is not waited for.
        with _writer.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
