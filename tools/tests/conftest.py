from pathlib import Path

import pytest

from tools.tests.helpers import init_repo


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repository with an identity, so tests can commit."""
    return init_repo(tmp_path / "repo")
