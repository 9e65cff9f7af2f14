"""Fixtures: the fake API as a real loopback server, SQLite files, PostgreSQL from the pgserver wheel."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from voxrank.datasync.engine import SyncOptions, SyncSummary
from voxrank.datasync.fakeapi.server import FakeApiProcess
from voxrank.datasync.fakeapi.verify import compare_with_source
from voxrank.datasync.planner import Scope
from voxrank.datasync.session import synchronize
from voxrank.datasync.settings import SyncSettings
from voxrank.datasync.storage import schema
from voxrank.datasync.storage.page_writer import FetchedPage, PageLocation, PageWriter, utcnow

API_ID = "api-id-SECRET-4f9c"
AFFILIATE_ID = "voxrank-990"
UNTIL = datetime(2026, 1, 1)
"""A fixed upper bound: plans do not depend on the clock."""


@pytest.fixture
def start_fake_api() -> Iterator[Callable[..., FakeApiProcess]]:
    started: list[FakeApiProcess] = []

    def start(**config: Any) -> FakeApiProcess:
        process = FakeApiProcess(**config).start()
        started.append(process)
        return process

    yield start
    for process in started:
        process.stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Any]:
    pgserver = pytest.importorskip("pgserver", reason="PostgreSQL tests need the pgserver wheel (test extra)")
    server = pgserver.get_server(tempfile.mkdtemp(prefix="voxrank-pg-"), cleanup_mode="delete")
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server: Any) -> str:
    name = f"sync_{uuid.uuid4().hex[:12]}"
    postgres_server.psql(f"CREATE DATABASE {name};")
    return str(postgres_server.get_uri(name))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return str(request.getfixturevalue("postgres_url"))


def _settings_for(fake: FakeApiProcess, database_url: str, **overrides: Any) -> SyncSettings:
    values: dict[str, Any] = {
        "dmm_api_id": API_ID,
        "dmm_affiliate_id": AFFILIATE_ID,
        "database_url": database_url,
        "api_base_url": f"{fake.base_url}/affiliate/v3",
        "rate_limit": 1000.0,
        "concurrency": 4,
        "offset_cap": fake.offset_cap,
        "timeout_s": 5.0,
    }
    values.update(overrides)
    return SyncSettings(**values)


def _sync(settings: SyncSettings, **options: Any) -> SyncSummary:
    values: dict[str, Any] = {
        "scope": Scope("FANZA"),
        "concurrency": settings.concurrency,
        "offset_cap": settings.offset_cap,
        "hits": settings.hits,
        "upper_bound": UNTIL,
    }
    values.update(options)
    return asyncio.run(synchronize(settings, SyncOptions(**values)))


def _cli_env(fake: FakeApiProcess, database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        VOXRANK_DMM_API_ID=API_ID,
        VOXRANK_DMM_AFFILIATE_ID=AFFILIATE_ID,
        VOXRANK_DATABASE_URL=database_url,
        VOXRANK_API_BASE_URL=f"{fake.base_url}/affiliate/v3",
        VOXRANK_RATE_LIMIT="1000",
        VOXRANK_OFFSET_CAP=str(fake.offset_cap),
    )
    env.update(extra)
    return env


def _assert_equals_source(database_url: str, fake: FakeApiProcess) -> None:
    comparison = compare_with_source(database_url, fake.base_url)
    assert comparison.equal, comparison.describe()


@pytest.fixture
def settings_for() -> Callable[..., SyncSettings]:
    """settings_for(fake, database_url, **overrides): settings pointing at a fake API."""
    return _settings_for


@pytest.fixture
def run_sync() -> Callable[..., SyncSummary]:
    """run_sync(settings, **SyncOptions fields): one sync in this process, upper bound fixed."""
    return _sync


@pytest.fixture
def cli_env() -> Callable[..., dict[str, str]]:
    """cli_env(fake, database_url, **extra): environment for a `voxrank-sync` subprocess."""
    return _cli_env


@pytest.fixture
def assert_equals_source() -> Callable[[str, FakeApiProcess], None]:
    """Row count = distinct content_ids = source count, and every item's fields are the latest."""
    return _assert_equals_source


def _write_page(engine: Engine, raw_items: list[dict[str, Any]]) -> None:
    """Validate `raw_items` and write them as page 1 of a new run's only partition."""
    now = utcnow()
    with engine.begin() as connection:
        run_id = connection.execute(
            insert(schema.sync_runs).values(
                scope="t",
                mode="full",
                status="running",
                lower_bound=datetime(2000, 1, 1),
                upper_bound=now,
                hits=100,
                offset_cap=50000,
                created_at=now,
            )
        ).inserted_primary_key[0]
        partition_id = connection.execute(
            insert(schema.partitions).values(
                run_id=run_id,
                gte_date=datetime(2000, 1, 1),
                lte_date=now,
                total_count=len(raw_items),
                page_count=1,
                status="running",
            )
        ).inserted_primary_key[0]
    PageWriter(engine).write([FetchedPage.from_raw(PageLocation(run_id, partition_id, 1), raw_items)])


@pytest.fixture
def write_page() -> Callable[[Engine, list[dict[str, Any]]], None]:
    """write_page(engine, raw_items): the items written through PageWriter as one committed page."""
    return _write_page
