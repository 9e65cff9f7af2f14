from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from voxrank.serving.repository import InvalidManifestError, Manifest, TensorData


@pytest.mark.parametrize("dtype", ["float32", "float16", "int64", "bool"])
def test_tensor_data_round_trips_exactly(dtype: str) -> None:
    array = (np.random.default_rng(1).standard_normal((2, 3, 5)) * 100).astype(dtype)
    restored = TensorData.from_array(array).to_array()
    assert restored.dtype == array.dtype
    np.testing.assert_array_equal(restored, array)


def test_tensor_data_with_the_wrong_byte_count_is_rejected() -> None:
    encoded = TensorData.from_array(np.zeros((2, 3), dtype=np.float32))
    with pytest.raises(ValidationError, match="different number of bytes"):
        TensorData(dtype="float32", shape=[2, 4], data=encoded.data)


def test_manifest_survives_json(segmenter: Path, make_manifest: Callable[..., Manifest]) -> None:
    manifest = make_manifest(segmenter)
    assert Manifest.from_json(manifest.to_json()) == manifest
    assert manifest.semver.major == 1


def test_unknown_fields_are_ignored_for_forward_compatibility(
    segmenter: Path, make_manifest: Callable[..., Manifest]
) -> None:
    text = (
        make_manifest(segmenter).to_json().replace('"name":', '"added_by_a_newer_exporter": 1,\n  "name":', 1)
    )
    assert Manifest.from_json(text).name == "diarization-tiny"


def test_golden_must_feed_every_input(segmenter: Path, make_manifest: Callable[..., Manifest]) -> None:
    manifest = make_manifest(segmenter)
    data = manifest.model_dump(mode="json")
    data["golden"]["inputs"] = {"audio": data["golden"]["inputs"]["waveform"]}
    with pytest.raises(InvalidManifestError, match="golden inputs"):
        Manifest.from_json(json.dumps(data))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("version", "1.0"), "version"),
        (("name", "Bad Name"), "name"),
        (("task", "translation"), "task"),
        (("sha256", "abc"), "sha256"),
        (("contract_major", 0), "contract_major"),
    ],
)
def test_invalid_fields_name_the_field(
    segmenter: Path, make_manifest: Callable[..., Manifest], change: tuple[str, object], message: str
) -> None:
    data = make_manifest(segmenter).model_dump(mode="json")
    data[change[0]] = change[1]
    with pytest.raises(InvalidManifestError, match=message):
        Manifest.from_json(json.dumps(data), source="candidate manifest")


def test_unreadable_manifests_raise_invalid_manifest(tmp_path: Path) -> None:
    with pytest.raises(InvalidManifestError, match="missing"):
        Manifest.read(tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidManifestError, match="not valid JSON"):
        Manifest.read(tmp_path / "manifest.json")
