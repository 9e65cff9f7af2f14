"""Wire settings to a client, a database and the engine: what `run`, `resume` and `bench` share."""

from __future__ import annotations

from voxrank.datasync.client import DmmClient, RetryPolicy
from voxrank.datasync.engine import ProgressSink, Synchronizer, SyncOptions, SyncSummary
from voxrank.datasync.errors import SyncError
from voxrank.datasync.reference import sync_reference_tables
from voxrank.datasync.settings import SyncSettings
from voxrank.datasync.storage.database import open_database


def client_from(settings: SyncSettings) -> DmmClient:
    if settings.dmm_api_id is None or not settings.dmm_api_id.get_secret_value():
        raise SyncError("no API id: set VOXRANK_DMM_API_ID (environment or .env)")
    if not settings.dmm_affiliate_id:
        raise SyncError("no affiliate id: set VOXRANK_DMM_AFFILIATE_ID (environment or .env)")
    return DmmClient(
        settings.dmm_api_id,
        settings.dmm_affiliate_id,
        base_url=settings.api_base_url,
        rate_limit=settings.rate_limit,
        max_connections=settings.concurrency,
        timeout_s=settings.timeout_s,
        retry=RetryPolicy(max_attempts=settings.max_attempts),
        offset_cap=settings.offset_cap,
    )


async def synchronize(
    settings: SyncSettings,
    options: SyncOptions,
    progress: ProgressSink | None = None,
    *,
    reference: bool = False,
) -> SyncSummary:
    """Open the database (migrating it), then run or resume the sync `options` describe; with
    `reference`, then refresh the reference tables of the scope's floors."""
    engine = open_database(settings.database_url)
    try:
        async with client_from(settings) as client:
            summary = await Synchronizer(engine, client, options, progress).run()
            if reference:
                summary.reference_entries = dict(await sync_reference_tables(engine, client, options.scope))
            return summary
    finally:
        engine.dispose()
