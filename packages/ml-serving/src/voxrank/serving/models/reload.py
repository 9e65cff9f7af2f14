"""Watches the model repository and asks the manager to pick up new versions.

Filesystem events (inotify and friends) by default; polling for shared storage that sends no events
(NFS, object-store mounts). The repository may not exist yet: then it is polled for until it does.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from pathlib import Path

from watchfiles import awatch

from voxrank.serving.models.manager import ModelManager
from voxrank.serving.settings import ServingSettings

log = logging.getLogger(__name__)


class RepositoryWatcher:
    def __init__(self, manager: ModelManager, settings: ServingSettings) -> None:
        self.manager = manager
        self.settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.settings.reload != "off":
            self._task = asyncio.create_task(self._run(), name="voxrank-repository-watcher")

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            with suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        root = self.settings.model_repository
        while not self._stop.is_set():
            if not root.is_dir():
                await self._sleep(self.settings.poll_interval_s)
                continue
            # Versions published between startup and the first watch are found by this refresh.
            await self._refresh()
            try:
                await self._watch(root)
            except OSError as error:
                # The folder went away (unmounted, replaced): keep serving and wait for it again.
                log.warning("watching %s stopped (%s); waiting for it to come back", root, error)
                await self._sleep(self.settings.poll_interval_s)

    async def _watch(self, root: Path) -> None:
        async for _ in awatch(
            root,
            stop_event=self._stop,
            debounce=self.settings.reload_debounce_ms,
            force_polling=self.settings.reload == "poll",
            poll_delay_ms=int(self.settings.poll_interval_s * 1000),
            recursive=True,
        ):
            await self._refresh()
            if not root.is_dir():
                # Removed or replaced: a watch on the old folder would never fire again.
                log.warning("%s disappeared; waiting for it to come back", root)
                return

    async def _refresh(self) -> None:
        try:
            await asyncio.to_thread(self.manager.refresh)
        except Exception:
            log.exception("refreshing the model repository failed; the serving versions are unchanged")

    async def _sleep(self, seconds: float) -> None:
        with suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), timeout=seconds)
