"""A real uvicorn server serving the tone diarization model; headless Debian Chromium driven by selenium."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import soundfile as sf
from pydantic import SecretStr

from voxrank.serving.api.server import serve_in_thread
from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.settings import ServingSettings
from voxrank.serving.tone_model import ToneTurn, publish_tone_model, tone_conversation

MODEL = "diarization-tone"
CONVERSATION = [ToneTurn(0, 2.0), ToneTurn(1, 2.0), ToneTurn(0, 1.5), ToneTurn(1, 2.5)]
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
    # A fake microphone (a beep) granted without a prompt, for the recording test.
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
# Debian's name first; the others are what Ubuntu and hosted CI runners call it.
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_HINT = "apt-get install -y chromium chromium-driver"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("web") / "model-repository"
    publish_tone_model(root, MODEL, "1.0.0")
    settings = ServingSettings(
        model_repository=root,
        diarization_model=MODEL,
        required_models=[MODEL],
        intra_op_threads=1,
        warmup_runs=1,
        reload="off",
        shutdown_timeout_s=5,
    )
    with serve_in_thread(settings) as url:
        yield url


@pytest.fixture(scope="module")
def conversation_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "conversation.wav"
    sf.write(path, tone_conversation(CONVERSATION), SAMPLE_RATE)
    return path


@pytest.fixture(scope="session")
def synced_catalog(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A catalog synced by data-sync from its fake API, as the quickstart does."""
    from voxrank.datasync.engine import SyncOptions
    from voxrank.datasync.fakeapi.server import FakeApiProcess
    from voxrank.datasync.planner import Scope
    from voxrank.datasync.session import synchronize
    from voxrank.datasync.settings import SyncSettings

    url = f"sqlite:///{tmp_path_factory.mktemp('catalog') / 'catalog.db'}"
    fake = FakeApiProcess(items=40).start()
    try:
        settings = SyncSettings(
            dmm_api_id=SecretStr("web-test"),
            dmm_affiliate_id="voxrank-990",
            database_url=url,
            api_base_url=f"{fake.base_url}/affiliate/v3",
            rate_limit=1000.0,
            offset_cap=fake.offset_cap,
        )
        options = SyncOptions(
            scope=Scope("FANZA"),
            concurrency=settings.concurrency,
            offset_cap=settings.offset_cap,
            hits=settings.hits,
            upper_bound=datetime(2026, 1, 1),
        )
        assert asyncio.run(synchronize(settings, options)).status == "done"
    finally:
        fake.stop()
    return url


def chromium_paths() -> tuple[str, str]:
    """Debian's chromium and chromedriver; skips locally without them, fails in CI (CI is set)."""
    browser = next(filter(None, map(shutil.which, BROWSERS)), None)
    # GitHub's hosted runners keep their chromedriver in the folder CHROMEWEBDRIVER names.
    search_path = os.pathsep.join(filter(None, [os.environ.get("PATH"), os.environ.get("CHROMEWEBDRIVER")]))
    driver = shutil.which("chromedriver", path=search_path)
    if browser and driver:
        return browser, driver
    missing = "chromium" if not browser else "chromedriver (package chromium-driver)"
    if os.environ.get("CI"):
        pytest.fail(
            f"CI is set but {missing} is not installed: the browser test must run in CI ({INSTALL_HINT})"
        )
    pytest.skip(f"{missing} is not installed ({INSTALL_HINT}); CI runs this test")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser_path, driver_path = chromium_paths()
    options = webdriver.ChromeOptions()
    options.binary_location = browser_path
    # Console errors (script errors, blocked loads, 404s) become readable through get_log("browser").
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    # An explicit driver path keeps Selenium Manager from looking for (or downloading) a driver.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    try:
        yield driver
    finally:
        driver.quit()
