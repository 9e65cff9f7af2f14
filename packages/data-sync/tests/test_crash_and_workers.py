"""A real SIGKILL of a running `voxrank-sync run`, then resume; two PostgreSQL workers sharing one sync."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import func, select

from voxrank.datasync.engine import MAX_PAGES_PER_COMMIT
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database

CLI = [sys.executable, "-m", "voxrank.datasync"]
UNTIL = ["--until", "2026-01-01T00:00:00"]


def _committed_pages(database_url: str) -> int:
    engine = open_database(database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(schema.checkpoints)).scalar_one()
    engine.dispose()
    return int(count)


def _committed_page_keys(database_url: str) -> set[str]:
    """The fake API's request keys of the committed pages (the same format as its /_fake/stats)."""
    partitions, checkpoints = schema.partitions, schema.checkpoints
    engine = open_database(database_url)
    query = select(partitions.c.gte_date, partitions.c.lte_date, checkpoints.c.page_offset).select_from(
        checkpoints.join(partitions, partitions.c.id == checkpoints.c.partition_id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    engine.dispose()
    return {
        f"gte_date={gte:%Y-%m-%dT%H:%M:%S}&hits=100&lte_date={lte:%Y-%m-%dT%H:%M:%S}"
        f"&offset={offset}&output=json&site=FANZA&sort=date"
        for gte, lte, offset in rows
    }


def _wait_for_pages(database_url: str, process: subprocess.Popen, pages: int, timeout_s: float = 60) -> int:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the sync ended before it could be killed: {process.stderr.read()}"
        committed = _committed_pages(database_url) if _has_schema(database_url) else 0
        if committed >= pages:
            return committed
        time.sleep(0.05)
    raise AssertionError(f"fewer than {pages} pages committed within {timeout_s} s")


def _has_schema(database_url: str) -> bool:
    try:
        _committed_pages(database_url)
    except Exception:
        return False
    return True


def test_sigkill_mid_sync_then_resume_equals_the_source(
    start_fake_api, cli_env, assert_equals_source, database_url
) -> None:
    # More pages than can be in flight (fetching, queued, being written) at once, so that the bound
    # on pages fetched again below can fail.
    fake = start_fake_api(items=10_000, offset_cap=1000, latency_ms=25)
    env = cli_env(fake, database_url)
    sync = subprocess.Popen(
        [*CLI, "run", "--quiet", "--concurrency", "2", *UNTIL], env=env, stderr=subprocess.PIPE, text=True
    )
    try:
        committed = _wait_for_pages(database_url, sync, pages=6)
        os.kill(sync.pid, signal.SIGKILL)
    finally:
        sync.wait(timeout=30)
    assert sync.returncode == -signal.SIGKILL
    committed_at_kill = _committed_page_keys(database_url)
    assert committed <= len(committed_at_kill)

    resumed = subprocess.run(  # noqa: PLW1510 - the return code is asserted below
        [*CLI, "resume", "--quiet", "--concurrency", "4"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert resumed.returncode == 0, resumed.stderr
    assert " done:" in resumed.stdout
    assert_equals_source(database_url, fake)
    pages = {key: count for key, count in fake.stats()["pages"].items() if "hits=100&" in key}
    assert all(pages[key] == 1 for key in committed_at_kill), (
        "a page committed before the kill was fetched again"
    )
    refetched = {key for key, count in pages.items() if count > 1}
    # In flight at the kill: 2 fetches, a full queue for the writer and the batch being written.
    in_flight = 2 + 2 * MAX_PAGES_PER_COMMIT
    assert len(pages) > len(committed_at_kill) + in_flight, "killed too late for the bound to be tested"
    assert len(refetched) <= in_flight, "only pages in flight at the kill may be fetched again"


@pytest.mark.postgres
def test_two_postgres_workers_share_one_sync_without_fetching_a_page_twice(
    start_fake_api, cli_env, assert_equals_source, postgres_url
) -> None:
    # About 2.5 s of pages for two workers: the worker that waited for the other's plan starts its
    # page writer only then (half a second) and must still find partitions to claim.
    fake = start_fake_api(items=6000, offset_cap=300, latency_ms=80)
    env = cli_env(fake, postgres_url)
    workers = [
        subprocess.Popen(
            [*CLI, "run", "--quiet", "--concurrency", "2", "--worker", name, *UNTIL],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("worker-a", "worker-b")
    ]
    outputs = [worker.communicate(timeout=300) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert_equals_source(postgres_url, fake)
    pages = fake.stats()["pages"]
    assert pages and max(pages.values()) == 1, "some request (page or planning count) was made twice"
    engine = open_database(postgres_url)
    with engine.connect() as connection:
        claimed_by = set(connection.execute(select(schema.partitions.c.worker).distinct()).scalars())
        runs = connection.execute(select(schema.sync_runs.c.status)).scalars().all()
    engine.dispose()
    assert claimed_by == {"worker-a", "worker-b"}
    assert runs == ["done"]
