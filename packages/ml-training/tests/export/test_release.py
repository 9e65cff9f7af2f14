"""`nox -s export` versioning: a checkpoint is published once; a new checkpoint is a new minor version."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxrank.serving.repository import ModelRepository
from voxrank.training.export import Exporter
from voxrank.training.export.release import next_version, parse_family_path


def test_versions_follow_the_checkpoint(tmp_path: Path, tiny_exporter: Exporter) -> None:
    repository = ModelRepository(tmp_path / "repo")
    checkpoint_sha256 = tiny_exporter.config.checkpoint.sha256
    assert next_version(repository, "diarization-tinyconv", checkpoint_sha256) == "1.0.0"
    tiny_exporter.export("fp32", "1.0.0", repository)
    assert next_version(repository, "diarization-tinyconv", checkpoint_sha256) is None
    assert next_version(repository, "diarization-tinyconv", "0" * 64) == "1.1.0"


def test_checkpoint_overrides_are_family_equals_path() -> None:
    assert parse_family_path("fastcnn=runs/a/best.pt") == ("fastcnn", Path("runs/a/best.pt"))
    with pytest.raises(Exception, match="is not FAMILY=PATH"):
        parse_family_path("runs/a/best.pt")
