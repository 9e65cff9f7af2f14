"""The browser tests may skip on a laptop without Chromium, never in CI."""

from __future__ import annotations

import pytest

from .conftest import chromium_paths


def test_without_chromium_in_ci_the_browser_tests_fail_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.setenv("CI", "true")

    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        chromium_paths()


def test_without_chromium_outside_ci_the_browser_tests_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv("CI", raising=False)

    with pytest.raises(pytest.skip.Exception, match="CI runs this test"):
        chromium_paths()
