"""Shared by the cross-package tests: the repository root and the wheels `nox -s integration` built."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

_WHEEL_NAME = re.compile(r"^(?P<name>[A-Za-z0-9_.]+)-(?P<version>[^-]+)-.+\.whl$")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def dist_dir() -> Path:
    """dist/ holding the freshly built wheels; `nox -s integration` builds them and sets VOXRANK_DIST_DIR."""
    configured = os.environ.get("VOXRANK_DIST_DIR")
    if not configured:
        pytest.fail("VOXRANK_DIST_DIR is not set: run `nox -s integration`, which builds dist/ first")
    folder = Path(configured)
    if not any(folder.glob("*.whl")):
        pytest.fail(f"no wheels in {folder}: run `nox -s build` or `nox -s integration`")
    return folder


@pytest.fixture(scope="session")
def wheels(dist_dir: Path) -> dict[str, Path]:
    """Distribution name (`voxrank-ml-serving`) -> its single wheel in dist/."""
    found: dict[str, list[Path]] = {}
    for wheel in sorted(dist_dir.glob("*.whl")):
        match = _WHEEL_NAME.match(wheel.name)
        if match:
            found.setdefault(match["name"].replace("_", "-").lower(), []).append(wheel)
    duplicated = {name: [w.name for w in paths] for name, paths in found.items() if len(paths) > 1}
    if duplicated:
        pytest.fail(
            f"several wheels of the same package in {dist_dir}: {duplicated}; rebuild with `nox -s build`"
        )
    return {name: paths[0] for name, paths in found.items()}
