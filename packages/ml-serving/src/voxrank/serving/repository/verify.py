"""Every check a version must pass before it may serve: READY, manifest, checksum, contract, golden output."""

from __future__ import annotations

from voxrank.serving.repository.contract import check_contract
from voxrank.serving.repository.errors import ChecksumMismatchError, InvalidManifestError, NotReadyError
from voxrank.serving.repository.golden import OrtSession, Runner, check_golden, cpu_session
from voxrank.serving.repository.integrity import sha256_file
from voxrank.serving.repository.layout import ModelVersion


def verify(
    candidate: ModelVersion,
    *,
    contract_major: int | None = None,
    session: Runner | OrtSession | None = None,
    golden: bool = False,
) -> None:
    """Raise a typed error unless the version is READY, intact and speaks this runtime's contract.

    With `golden=True` (or a `session`) the golden input is also run, on `session` or a CPU session.
    """
    if not candidate.ready_path.is_file():
        raise NotReadyError(
            f"{candidate.path} has no {candidate.ready_path.name} marker: its publication never finished"
        )
    manifest = candidate.manifest
    if (manifest.name, manifest.version) != (candidate.name, str(candidate.version)):
        raise InvalidManifestError(
            f"{candidate.manifest_path} describes {manifest.name} {manifest.version}, "
            f"but lies in the folder of {candidate.name} {candidate.version}"
        )
    check_checksum(candidate)
    check_contract(manifest, contract_major)
    if session is not None or golden:
        check_golden(session if session is not None else cpu_session(candidate.model_path), manifest)


def check_checksum(candidate: ModelVersion) -> None:
    """Raise ChecksumMismatchError unless model.onnx has the size and sha256 the manifest records."""
    if not candidate.model_path.is_file():
        raise ChecksumMismatchError(f"{candidate.model_path} is missing")
    actual = sha256_file(candidate.model_path)
    if actual != candidate.manifest.sha256:
        raise ChecksumMismatchError(
            f"{candidate.model_path} has sha256 {actual}, its manifest records {candidate.manifest.sha256}: "
            "the file was changed or corrupted after publication"
        )
