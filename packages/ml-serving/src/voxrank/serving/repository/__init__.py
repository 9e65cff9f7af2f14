"""The model repository: layout, manifest schema, version resolution, atomic publish and every check a
version must pass before it serves (READY, sha256, contract major, golden output). Never imports torch."""

from voxrank.serving.repository.contract import TASK_CONTRACTS, TaskContract, check_contract
from voxrank.serving.repository.errors import (
    ChecksumMismatchError,
    ContractMismatchError,
    GoldenMismatchError,
    InvalidManifestError,
    InvalidVersionSpecError,
    ModelNotFoundError,
    NotReadyError,
    RepositoryError,
    RepositoryNotWritableError,
    VersionExistsError,
    VersionNotFoundError,
)
from voxrank.serving.repository.golden import (
    Runner,
    as_runner,
    check_golden,
    cpu_session,
    golden_inputs,
    golden_outputs,
)
from voxrank.serving.repository.integrity import sha256_file
from voxrank.serving.repository.layout import MANIFEST_FILE, MODEL_FILE, READY_FILE, ModelVersion
from voxrank.serving.repository.manifest import (
    MANIFEST_FORMAT,
    Golden,
    Manifest,
    Parity,
    ParityCase,
    Precision,
    Provenance,
    Task,
    TensorData,
    TensorSpec,
)
from voxrank.serving.repository.repository import ModelRepository
from voxrank.serving.repository.verify import check_checksum, verify
from voxrank.serving.repository.versions import LATEST, parse_version, select_version

__all__ = [
    "LATEST",
    "MANIFEST_FILE",
    "MANIFEST_FORMAT",
    "MODEL_FILE",
    "READY_FILE",
    "TASK_CONTRACTS",
    "ChecksumMismatchError",
    "ContractMismatchError",
    "Golden",
    "GoldenMismatchError",
    "InvalidManifestError",
    "InvalidVersionSpecError",
    "Manifest",
    "ModelNotFoundError",
    "ModelRepository",
    "ModelVersion",
    "NotReadyError",
    "Parity",
    "ParityCase",
    "Precision",
    "Provenance",
    "RepositoryError",
    "RepositoryNotWritableError",
    "Runner",
    "Task",
    "TaskContract",
    "TensorData",
    "TensorSpec",
    "VersionExistsError",
    "VersionNotFoundError",
    "as_runner",
    "check_checksum",
    "check_contract",
    "check_golden",
    "cpu_session",
    "golden_inputs",
    "golden_outputs",
    "parse_version",
    "select_version",
    "sha256_file",
    "verify",
]
