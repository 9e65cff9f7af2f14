"""Atomic publication: whole versions or nothing, immutable versions, clear refusals."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from packaging.version import Version

from voxrank.serving.repository import (
    READY_FILE,
    ChecksumMismatchError,
    ContractMismatchError,
    GoldenMismatchError,
    Manifest,
    ModelRepository,
    TensorData,
    VersionExistsError,
    sha256_file,
)

MakeManifest = Callable[..., Manifest]


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


def test_publish_writes_a_ready_version(tmp_path: Path, segmenter: Path, make_manifest: MakeManifest) -> None:
    repository = ModelRepository(tmp_path / "repo")
    published = repository.publish(segmenter, make_manifest(segmenter))
    assert tree(tmp_path / "repo") == [
        "diarization-tiny",
        "diarization-tiny/1.0.0",
        "diarization-tiny/1.0.0/READY",
        "diarization-tiny/1.0.0/manifest.json",
        "diarization-tiny/1.0.0/model.onnx",
    ]
    assert json.loads((published.path / READY_FILE).read_text())["sha256"] == sha256_file(segmenter)
    assert sha256_file(published.model_path) == sha256_file(segmenter)
    assert repository.resolve("diarization-tiny").manifest == published.manifest


def test_an_existing_version_is_refused_and_left_untouched(
    tmp_path: Path, segmenter: Path, make_segmenter: Callable[..., Path], make_manifest: MakeManifest
) -> None:
    repository = ModelRepository(tmp_path / "repo")
    first = repository.publish(segmenter, make_manifest(segmenter))
    before = sha256_file(first.model_path)
    other = make_segmenter(tmp_path / "other.onnx", gain=3.0)
    with pytest.raises(VersionExistsError, match="already exists"):
        repository.publish(other, make_manifest(other))
    assert sha256_file(first.model_path) == before
    assert tree(tmp_path / "repo/diarization-tiny") == [
        "1.0.0",
        "1.0.0/READY",
        "1.0.0/manifest.json",
        "1.0.0/model.onnx",
    ]


def test_a_file_other_than_the_validated_one_is_refused(
    tmp_path: Path, segmenter: Path, make_segmenter: Callable[..., Path], make_manifest: MakeManifest
) -> None:
    manifest = make_manifest(segmenter)
    swapped = make_segmenter(tmp_path / "swapped.onnx", gain=2.0)
    with pytest.raises(ChecksumMismatchError, match="refusing to publish"):
        ModelRepository(tmp_path / "repo").publish(swapped, manifest)
    assert tree(tmp_path / "repo") == []


def test_a_golden_output_the_model_does_not_reproduce_is_refused(
    tmp_path: Path, segmenter: Path, make_segmenter: Callable[..., Path], make_manifest: MakeManifest
) -> None:
    other = make_segmenter(tmp_path / "other.onnx", gain=5.0)
    manifest = make_manifest(segmenter).model_copy(update={"golden": make_manifest(other).golden})
    repository = ModelRepository(tmp_path / "repo")
    repository.publish(segmenter, make_manifest(segmenter, version="1.0.0"))
    with pytest.raises(GoldenMismatchError, match="golden output 'activity' differs by up to"):
        repository.publish(segmenter, manifest.model_copy(update={"version": "1.1.0"}))
    assert repository.versions("diarization-tiny") == [Version("1.0.0")]
    assert tree(tmp_path / "repo/diarization-tiny") == [
        "1.0.0",
        "1.0.0/READY",
        "1.0.0/manifest.json",
        "1.0.0/model.onnx",
    ]


def test_a_manifest_for_another_contract_major_is_refused(
    tmp_path: Path, segmenter: Path, make_manifest: MakeManifest
) -> None:
    with pytest.raises(ContractMismatchError, match="contract major 2, this runtime speaks major 1"):
        ModelRepository(tmp_path / "repo").publish(segmenter, make_manifest(segmenter, contract_major=2))
    assert tree(tmp_path / "repo") == []


def test_a_manifest_missing_a_contract_output_is_refused(
    tmp_path: Path, segmenter: Path, make_manifest: MakeManifest
) -> None:
    manifest = make_manifest(segmenter)
    golden = manifest.golden.model_copy(update={"outputs": {"activity": manifest.golden.outputs["activity"]}})
    lacking = make_manifest(segmenter, outputs=manifest.outputs[:1], golden=golden)
    with pytest.raises(ContractMismatchError, match="lacks the diarization output 'embeddings'"):
        ModelRepository(tmp_path / "repo").publish(segmenter, lacking)


def _drop_file_permission_override() -> None:
    # Root ignores file modes; dropping CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH from the bounding set
    # before exec gives the child the permission checks an ordinary user gets.
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


PUBLISH_SCRIPT = """
import sys
from pathlib import Path
from voxrank.serving.repository import Manifest, ModelRepository, RepositoryNotWritableError
manifest = Manifest.read(Path(sys.argv[3]))
repository = ModelRepository(sys.argv[1])
try:
    if sys.argv[4] == "check":
        repository.check_can_publish(manifest.name, manifest.version)
    else:
        repository.publish(Path(sys.argv[2]), manifest)
except RepositoryNotWritableError as error:
    print(f"{type(error).__name__}: {error}")
    sys.exit(3)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="file-mode semantics of this test are Linux's")
@pytest.mark.parametrize("mode", ["check", "publish"])
def test_a_read_only_repository_gives_a_clear_error_and_stays_empty(
    tmp_path: Path, segmenter: Path, make_manifest: MakeManifest, mode: str
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    manifest_path = tmp_path / "candidate.json"
    manifest_path.write_text(make_manifest(segmenter).to_json(), encoding="utf-8")
    repo.chmod(0o555)
    try:
        result = subprocess.run(
            [sys.executable, "-c", PUBLISH_SCRIPT, str(repo), str(segmenter), str(manifest_path), mode],
            capture_output=True,
            text=True,
            check=False,
            preexec_fn=_drop_file_permission_override if os.geteuid() == 0 else None,
        )
    finally:
        repo.chmod(0o755)
    assert result.returncode == 3, result.stderr
    assert (
        f"RepositoryNotWritableError: cannot publish into model repository {repo}: Permission denied"
        in result.stdout
    )
    assert tree(repo) == []


def test_golden_mismatch_message_reports_the_size_of_the_difference(
    tmp_path: Path, segmenter: Path, make_manifest: MakeManifest
) -> None:
    manifest = make_manifest(segmenter)
    expected = manifest.golden.outputs["activity"].to_array()
    shifted = manifest.golden.outputs | {"activity": TensorData.from_array(expected + 0.25)}
    tampered = manifest.model_copy(update={"golden": manifest.golden.model_copy(update={"outputs": shifted})})
    with pytest.raises(GoldenMismatchError, match=r"differs by up to 0\.25"):
        ModelRepository(tmp_path / "repo").publish(segmenter, tampered)
    assert tree(tmp_path / "repo") == []


def test_check_can_publish_refuses_an_existing_version_early(
    tmp_path: Path, segmenter: Path, make_manifest: MakeManifest
) -> None:
    repository = ModelRepository(tmp_path / "repo")
    repository.check_can_publish("diarization-tiny", "1.0.0")
    assert tree(tmp_path / "repo") == []
    repository.publish(segmenter, make_manifest(segmenter))
    with pytest.raises(VersionExistsError, match="already exists"):
        repository.check_can_publish("diarization-tiny", "1.0.0")
    repository.check_can_publish("diarization-tiny", "1.0.1")
