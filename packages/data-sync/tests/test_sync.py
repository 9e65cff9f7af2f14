"""End-to-end syncs against the fake API over loopback, on SQLite files and PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select, update

from voxrank.datasync import engine as engine_module
from voxrank.datasync import runs
from voxrank.datasync.client import DmmClient
from voxrank.datasync.engine import SyncOptions
from voxrank.datasync.errors import CorruptCheckpointError, TransientApiError
from voxrank.datasync.planner import Scope, plan_windows
from voxrank.datasync.session import synchronize
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database

ITEMS = 2500
CAP = 300


def _item_pages(stats: dict) -> dict[str, int]:
    """Successful ItemList responses per query, pages only (planning counts use hits=1)."""
    return {key: count for key, count in stats["pages"].items() if "hits=1&" not in key}


def _scalar(database_url: str, query) -> int:  # type: ignore[no-untyped-def]
    engine = open_database(database_url)
    with engine.connect() as connection:
        value = connection.execute(query).scalar_one()
    engine.dispose()
    return int(value)


def test_full_sync_partitions_past_the_offset_cap_and_equals_the_source(
    start_fake_api, settings_for, run_sync, assert_equals_source, database_url
) -> None:
    fake = start_fake_api(items=ITEMS, offset_cap=CAP)

    summary = run_sync(settings_for(fake, database_url))

    assert summary.status == "done"
    assert summary.partitions > ITEMS // CAP // 2, "the plan must split the catalog below the cap"
    assert_equals_source(database_url, fake)
    pages = _item_pages(fake.stats())
    assert pages and max(pages.values()) == 1, "a page was fetched twice"
    partitions = schema.partitions
    assert _scalar(database_url, select(func.max(partitions.c.total_count))) <= CAP


def test_rerunning_a_finished_sync_makes_no_item_request(
    start_fake_api, settings_for, run_sync, tmp_path
) -> None:
    fake = start_fake_api(items=800, offset_cap=CAP)
    settings = settings_for(fake, f"sqlite:///{tmp_path / 'c.db'}")
    run_sync(settings)
    fake.control("stats/reset")

    summary = run_sync(settings)

    assert summary.status == "already-complete"
    assert summary.requests == 0
    assert fake.stats()["pages"] == {}


def test_the_page_writer_process_starts_while_the_run_is_planned(
    start_fake_api, settings_for, run_sync, assert_equals_source, tmp_path
) -> None:
    fake = start_fake_api(items=800, offset_cap=CAP)
    writer_up_while_planning = []

    async def plan_once_the_writer_is_up(*args, **kwargs):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 20
        while not multiprocessing.active_children() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        writer_up_while_planning.append(bool(multiprocessing.active_children()))
        return await plan_windows(*args, **kwargs)

    database_url = f"sqlite:///{tmp_path / 'c.db'}"

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine_module, "plan_windows", plan_once_the_writer_is_up)
        summary = run_sync(settings_for(fake, database_url))

    assert writer_up_while_planning == [True]
    assert summary.status == "done"
    assert_equals_source(database_url, fake)


def test_the_next_partition_is_claimed_while_the_last_pages_of_one_are_still_queued(
    start_fake_api, settings_for, run_sync, assert_equals_source, tmp_path
) -> None:
    fake = start_fake_api(items=4000, offset_cap=2000, latency_ms=30)
    events: list[tuple[str, datetime | None]] = []
    claim_partition, item_list = runs.claim_partition, DmmClient.item_list

    def recorded_claim(*args, **kwargs):  # type: ignore[no-untyped-def]
        events.append(("claim", None))
        partition = claim_partition(*args, **kwargs)
        events.append(("claimed", partition.gte if partition else None))
        return partition

    async def recorded_item_list(self, **params):  # type: ignore[no-untyped-def]
        if params["hits"] != 1:  # planning counts ask for one item
            events.append(("page", params["gte_date"]))
        return await item_list(self, **params)

    database_url = f"sqlite:///{tmp_path / 'c.db'}"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runs, "claim_partition", recorded_claim)
        patch.setattr(DmmClient, "item_list", recorded_item_list)
        summary = run_sync(settings_for(fake, database_url, concurrency=2), pages_in_progress=4)

    assert summary.status == "done" and summary.partitions >= 2
    assert_equals_source(database_url, fake)
    claims = [index for index, (kind, _) in enumerate(events) if kind == "claim"]
    pages_after_claims = []
    for claim in claims[1:]:
        previous = [gte for kind, gte in events[:claim] if kind == "claimed"][-1]
        if sum(1 for kind, gte in events if kind == "page" and gte == previous) >= 10:
            pages_after_claims.append(
                sum(1 for kind, gte in events[claim:] if kind == "page" and gte == previous)
            )
    # 8 pages (2 per page worker) were left to queue; without claiming ahead, only the pages in the
    # queue (4, one per page worker) are requested after the claim.
    assert pages_after_claims and min(pages_after_claims) >= 6, pages_after_claims


def test_incremental_sync_fetches_only_items_after_the_watermark(
    start_fake_api, settings_for, run_sync, assert_equals_source, tmp_path
) -> None:
    fake = start_fake_api(items=1500, offset_cap=CAP)
    settings = settings_for(fake, f"sqlite:///{tmp_path / 'c.db'}")
    first = run_sync(settings)
    fake.control("grow", count=120)
    fake.control("stats/reset")

    second = run_sync(settings, incremental=True)

    assert second.status == "done" and second.mode == "incremental"
    assert second.watermark is not None and first.watermark is not None
    assert second.watermark > first.watermark
    fetched = sum(_item_pages(fake.stats()).values())
    assert fetched * settings.hits < 1500 // 2, "an incremental sync must not re-read the catalog"
    assert_equals_source(f"sqlite:///{tmp_path / 'c.db'}", fake)


def test_a_fresh_sync_after_catalog_changes_stores_the_latest_values(
    start_fake_api, settings_for, run_sync, assert_equals_source, database_url
) -> None:
    fake = start_fake_api(items=1200, offset_cap=CAP)
    settings = settings_for(fake, database_url)
    run_sync(settings)
    fake.control("mutate", count=200, seed=3)

    run_sync(settings, fresh=True)

    assert_equals_source(database_url, fake)


def test_faults_at_many_page_boundaries_then_resume_loses_nothing(
    start_fake_api, settings_for, run_sync, assert_equals_source, database_url
) -> None:
    """With one attempt per request, every injected fault aborts the run at some page; resuming
    again and again must still converge to the source catalog."""
    fake = start_fake_api(items=2000, offset_cap=CAP, fault_rate=0.1, stall_s=0.5)
    settings = settings_for(fake, database_url, max_attempts=1, timeout_s=0.3, hits=20)
    aborted_at_pages: list[int] = []
    for _ in range(200):
        try:
            summary = run_sync(settings, takeover=True)
        except TransientApiError:
            aborted_at_pages.append(
                _scalar(database_url, select(func.count()).select_from(schema.checkpoints))
            )
            continue
        if summary.status == "done":
            break
    assert len(set(aborted_at_pages)) >= 5, f"faults hit too few page boundaries: {aborted_at_pages}"
    assert_equals_source(database_url, fake)


def test_malformed_items_land_in_quarantine_with_their_reason(
    start_fake_api, settings_for, run_sync, tmp_path
) -> None:
    fake = start_fake_api(items=1000, offset_cap=CAP, malformed_rate=0.02)
    url = f"sqlite:///{tmp_path / 'c.db'}"

    summary = run_sync(settings_for(fake, url))

    assert summary.status == "done" and summary.quarantined > 0
    engine = open_database(url)
    with engine.connect() as connection:
        rows = connection.execute(select(schema.quarantine)).all()
        stored = set(connection.execute(select(schema.items.c.content_id)).scalars())
    engine.dispose()
    assert len(rows) == summary.quarantined
    assert all("date" in row.reason or "review" in row.reason for row in rows)
    assert all(row.content_id and row.content_id not in stored for row in rows)
    assert all('"content_id"' in row.payload for row in rows)


def test_a_corrupt_checkpoint_is_reported_and_repair_refetches_its_pages(
    start_fake_api, settings_for, run_sync, assert_equals_source, tmp_path
) -> None:
    fake = start_fake_api(items=900, offset_cap=CAP)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    settings = settings_for(fake, url)
    run_sync(settings)
    engine = open_database(url)
    with engine.begin() as connection:
        connection.execute(
            update(schema.checkpoints).where(schema.checkpoints.c.page_offset == 1).values(page_offset=7)
        )
        connection.execute(update(schema.sync_runs).values(status="failed"))
    engine.dispose()

    with pytest.raises(CorruptCheckpointError, match=r"resume --repair"):
        run_sync(settings)
    repaired = run_sync(settings, repair=True)

    assert repaired.status == "done" and repaired.pages_fetched > 0
    assert_equals_source(url, fake)


def test_reference_tables_hold_every_entity_of_the_searches(start_fake_api, settings_for, tmp_path) -> None:
    fake = start_fake_api(items=300, offset_cap=CAP)
    url = f"sqlite:///{tmp_path / 'c.db'}"
    options = SyncOptions(
        scope=Scope("FANZA", "digital", "videoa"), offset_cap=CAP, upper_bound=datetime(2026, 1, 1)
    )

    summary = asyncio.run(synchronize(settings_for(fake, url), options, reference=True))

    assert summary.reference_entries == {
        "genre": 60,
        "maker": 300,
        "series": 3000,
        "author": 3000,
        "actress": 20000,
    }
    engine = open_database(url)
    with engine.connect() as connection:
        genres = connection.execute(select(func.count()).select_from(schema.genres)).scalar_one()
        actresses = connection.execute(
            select(func.count()).select_from(schema.people).where(schema.people.c.role == "actress")
        ).scalar_one()
    engine.dispose()
    assert genres == 60 and actresses == 20000


def test_pages_waiting_out_faults_never_put_more_requests_on_the_wire_than_the_concurrency(
    start_fake_api, settings_for, run_sync, assert_equals_source, tmp_path
) -> None:
    """Six pages in progress share two request slots while 429s, 503s, stalls and truncated bodies
    send some of them into back-offs; the sync still equals the source."""
    fake = start_fake_api(items=1500, offset_cap=CAP, latency_ms=10, fault_rate=0.2, stall_s=0.5)
    database_url = f"sqlite:///{tmp_path / 'slots.db'}"
    settings = settings_for(fake, database_url, concurrency=2, timeout_s=0.3, max_attempts=10, hits=20)

    summary = run_sync(settings, pages_in_progress=6)

    assert summary.status == "done"
    assert summary.peak_requests_in_flight == 2
    assert summary.requests > summary.pages_fetched, "the faults should have caused retries"
    assert_equals_source(database_url, fake)
