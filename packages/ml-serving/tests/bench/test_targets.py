"""Which models a run measures: the newest version of each precision, under one family name."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxrank.serving.bench.targets import NoModelsError, from_files, from_repository
from voxrank.serving.repository import ModelRepository
from voxrank.serving.tone_model import build_tone_model, tone_manifest


def _publish(root: Path, scratch: Path, name: str, version: str, precision: str) -> None:
    model = build_tone_model(scratch / f"{name}-{version}.onnx")
    manifest = tone_manifest(model, name, version).model_copy(update={"precision": precision})
    ModelRepository(root).publish(model, manifest)


def test_newest_version_of_each_precision_under_the_family_name(tmp_path: Path) -> None:
    root = tmp_path / "repository"
    _publish(root, tmp_path, "diarization-tone", "1.0.0", "fp32")
    _publish(root, tmp_path, "diarization-tone", "1.1.0", "fp32")
    _publish(root, tmp_path, "diarization-tone-int8", "1.0.0", "int8")
    _publish(root, tmp_path, "diarization-other", "2.0.0", "fp32")
    targets = from_repository(root, names=["diarization-tone"])
    assert [(t.name, t.precision, t.version) for t in targets] == [
        ("diarization-tone", "fp32", "diarization-tone 1.1.0"),
        ("diarization-tone", "int8", "diarization-tone-int8 1.0.0"),
    ]
    assert all(t.path.is_file() and t.manifest is not None for t in targets)
    assert len(from_repository(root)) == 3


def test_an_empty_repository_or_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NoModelsError, match="no READY diarization models"):
        from_repository(tmp_path)
    with pytest.raises(NoModelsError, match="does not exist"):
        from_files([str(tmp_path / "absent.onnx")])


def test_file_specs_name_and_precision(tmp_path: Path) -> None:
    model = build_tone_model(tmp_path / "tone.onnx")
    [named] = from_files([f"diarization-tone:int8={model}"])
    [bare] = from_files([str(model)])
    assert (named.name, named.precision) == ("diarization-tone", "int8")
    assert (bare.name, bare.precision) == ("tone", "fp32")
