"""Listing and resolving versions in a repository with several models and versions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from voxrank.serving.repository import (
    InvalidVersionSpecError,
    Manifest,
    ModelNotFoundError,
    ModelRepository,
    VersionNotFoundError,
)


@pytest.fixture
def repository(tmp_path: Path, segmenter: Path, make_manifest: Callable[..., Manifest]) -> ModelRepository:
    repository = ModelRepository(tmp_path / "repo")
    for version in ["1.0.0", "1.2.0", "1.10.0", "2.0.0"]:
        repository.publish(segmenter, make_manifest(segmenter, version=version), verify_golden=False)
    repository.publish(segmenter, make_manifest(segmenter, name="diarization-other", version="0.1.0"))
    (tmp_path / "repo/diarization-tiny/.3.0.0.publishing-abc").mkdir()
    (tmp_path / "repo/diarization-tiny/notes").mkdir()
    (tmp_path / "repo/empty-model").mkdir()
    return repository


def test_models_lists_only_models_with_ready_versions(repository: ModelRepository) -> None:
    assert repository.models() == ["diarization-other", "diarization-tiny"]
    assert ModelRepository(repository.root / "absent").models() == []


def test_versions_are_sorted_numerically_and_skip_staging_folders(repository: ModelRepository) -> None:
    assert [str(v) for v in repository.versions("diarization-tiny")] == ["1.0.0", "1.2.0", "1.10.0", "2.0.0"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [("latest", "2.0.0"), ("1.2.0", "1.2.0"), (">=1.2,<2", "1.10.0"), ("1", "1.10.0"), ("<1.5", "1.2.0")],
)
def test_resolve_returns_the_version_with_its_manifest(
    repository: ModelRepository, spec: str, expected: str
) -> None:
    resolved = repository.resolve("diarization-tiny", spec)
    assert str(resolved.version) == expected
    assert resolved.manifest.version == expected
    assert resolved.model_path == repository.root / "diarization-tiny" / expected / "model.onnx"


def test_resolve_explains_what_is_missing(repository: ModelRepository) -> None:
    with pytest.raises(ModelNotFoundError, match="'speaker-id' has no READY version"):
        repository.resolve("speaker-id")
    with pytest.raises(
        VersionNotFoundError, match=r"matches '>=3' \(available: 1.0.0, 1.2.0, 1.10.0, 2.0.0\)"
    ):
        repository.resolve("diarization-tiny", ">=3")
    with pytest.raises(InvalidVersionSpecError):
        repository.resolve("diarization-tiny", "newest")
