"""What a server checks before a version may serve: READY, checksum, contract major, golden output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest
from packaging.version import Version

from voxrank.serving.repository import (
    READY_FILE,
    ChecksumMismatchError,
    ContractMismatchError,
    GoldenMismatchError,
    InvalidManifestError,
    Manifest,
    ModelRepository,
    ModelVersion,
    NotReadyError,
    check_golden,
    golden_inputs,
    verify,
)

MakeManifest = Callable[..., Manifest]


@pytest.fixture
def published(tmp_path: Path, segmenter: Path, make_manifest: MakeManifest) -> ModelVersion:
    return ModelRepository(tmp_path / "repo").publish(segmenter, make_manifest(segmenter))


def test_an_intact_version_passes_every_check(published: ModelVersion) -> None:
    verify(published, golden=True)


def test_a_corrupted_model_is_rejected_by_checksum(published: ModelVersion) -> None:
    data = bytearray(published.model_path.read_bytes())
    data[-5] ^= 0xFF
    published.model_path.write_bytes(bytes(data))
    with pytest.raises(ChecksumMismatchError, match="changed or corrupted after publication"):
        verify(published)


def test_a_missing_model_file_is_rejected(published: ModelVersion) -> None:
    published.model_path.unlink()
    with pytest.raises(ChecksumMismatchError, match=r"model\.onnx is missing"):
        verify(published)


def test_a_contract_major_this_runtime_does_not_speak_is_rejected(
    tmp_path: Path, published: ModelVersion
) -> None:
    with pytest.raises(
        ContractMismatchError, match="targets diarization contract major 1, this runtime speaks major 2"
    ):
        verify(published, contract_major=2)
    data = json.loads(published.manifest_path.read_text())
    data["contract_major"] = 3
    published.manifest_path.write_text(json.dumps(data))
    reread = ModelRepository(tmp_path / "repo").resolve("diarization-tiny")
    with pytest.raises(ContractMismatchError, match="contract major 3, this runtime speaks major 1"):
        verify(reread)


def test_a_copy_without_ready_does_not_exist_for_readers(tmp_path: Path, published: ModelVersion) -> None:
    repository = ModelRepository(tmp_path / "repo")
    copy = published.path.with_name("1.1.0")
    shutil.copytree(published.path, copy)
    (copy / READY_FILE).unlink()
    assert [str(version) for version in repository.versions("diarization-tiny")] == ["1.0.0"]
    assert str(repository.resolve("diarization-tiny", "latest").version) == "1.0.0"
    with pytest.raises(NotReadyError, match=r"matches only versions without a READY marker \(1\.1\.0\)"):
        repository.resolve("diarization-tiny", "1.1.0")
    unready = ModelVersion(
        name="diarization-tiny",
        version=Version("1.1.0"),
        path=copy,
        manifest=published.manifest,
    )
    with pytest.raises(NotReadyError, match="has no READY marker"):
        verify(unready)


def test_a_manifest_in_the_wrong_folder_is_rejected(tmp_path: Path, published: ModelVersion) -> None:
    moved = published.path.with_name("1.0.1")
    shutil.copytree(published.path, moved)
    candidate = ModelRepository(tmp_path / "repo").resolve("diarization-tiny", "1.0.1")
    with pytest.raises(
        InvalidManifestError, match=r"describes diarization-tiny 1\.0\.0, but lies in the folder of"
    ):
        verify(candidate)


def test_golden_check_accepts_a_session_or_a_runner(published: ModelVersion) -> None:
    session = ort.InferenceSession(str(published.model_path), providers=["CPUExecutionProvider"])
    check_golden(session, published.manifest)

    def runner(feeds: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        names = [node.name for node in session.get_outputs()]
        return dict(zip(names, session.run(names, dict(feeds)), strict=True))

    check_golden(runner, published.manifest)
    assert set(golden_inputs(published.manifest)) == {"waveform"}


def test_another_model_fails_the_golden_check(
    tmp_path: Path, published: ModelVersion, make_segmenter: Callable[..., Path]
) -> None:
    other = ort.InferenceSession(str(make_segmenter(tmp_path / "other.onnx", gain=4.0)))
    with pytest.raises(GoldenMismatchError, match="golden output 'activity' differs by up to"):
        verify(published, session=other)


def test_golden_check_catches_wrong_dtype_shape_and_non_finite_outputs(published: ModelVersion) -> None:
    expected = {name: tensor.to_array() for name, tensor in published.manifest.golden.outputs.items()}

    def returning(**changes: np.ndarray) -> Callable[[Mapping[str, np.ndarray]], dict[str, np.ndarray]]:
        return lambda feeds: expected | changes

    with pytest.raises(ContractMismatchError, match="is float64, the manifest declares float32"):
        check_golden(returning(activity=expected["activity"].astype(np.float64)), published.manifest)
    with pytest.raises(GoldenMismatchError, match="has shape"):
        check_golden(returning(activity=expected["activity"][:1]), published.manifest)
    poisoned = expected["embeddings"].copy()
    poisoned[0, 0, 0] = np.nan
    with pytest.raises(GoldenMismatchError, match="NaN or infinite"):
        check_golden(returning(embeddings=poisoned), published.manifest)
    with pytest.raises(ContractMismatchError, match="does not produce output 'embeddings'"):
        check_golden(lambda feeds: {"activity": expected["activity"]}, published.manifest)
