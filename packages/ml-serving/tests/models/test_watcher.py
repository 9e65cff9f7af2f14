"""The repository watcher: new versions by file events or polling, and a repository that is replaced."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

import pytest

from voxrank.serving.models import ModelManager, ModelUnavailableError
from voxrank.serving.models.reload import RepositoryWatcher
from voxrank.serving.settings import ServingSettings
from voxrank.serving.tone_model import publish_tone_model

TONE = "diarization-tone"


async def serving_version(manager: ModelManager, expected: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if manager.get(TONE).version == expected:
                return
        except ModelUnavailableError:
            pass
        assert time.monotonic() < deadline, f"{expected} never served"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("mode", ["watch", "poll"])
def test_a_replaced_repository_is_watched_again(tmp_path: Path, mode: str) -> None:
    root = tmp_path / "repository"
    publish_tone_model(root, TONE, "1.0.0")
    settings = ServingSettings(
        model_repository=root, reload=mode, poll_interval_s=0.1, reload_debounce_ms=50, intra_op_threads=1
    )
    manager = ModelManager(settings)
    manager.start()

    async def scenario() -> None:
        watcher = RepositoryWatcher(manager, settings)
        watcher.start()
        try:
            publish_tone_model(root, TONE, "1.1.0")
            await serving_version(manager, "1.1.0")
            shutil.rmtree(root)
            await asyncio.sleep(0.5)
            publish_tone_model(root, TONE, "2.0.0")
            await serving_version(manager, "2.0.0")
        finally:
            await watcher.stop()

    asyncio.run(scenario())
    assert manager.slot(TONE).rejected == {}
