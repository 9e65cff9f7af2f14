"""Typed errors of the model repository; each message says what is wrong and with which file."""

from __future__ import annotations


class RepositoryError(Exception):
    """Base of every model-repository error."""


class ModelNotFoundError(RepositoryError, LookupError):
    """No model of that name has a READY version in the repository."""


class VersionNotFoundError(RepositoryError, LookupError):
    """No READY version of the model satisfies the requested version or range."""


class InvalidVersionSpecError(RepositoryError, ValueError):
    """A version string or range that cannot be parsed."""


class NotReadyError(RepositoryError):
    """A version folder without its READY marker: it was never fully published."""


class InvalidManifestError(RepositoryError, ValueError):
    """manifest.json is missing, not JSON, or does not follow the manifest schema."""


class ChecksumMismatchError(RepositoryError):
    """model.onnx does not have the sha256 its manifest records."""


class ContractMismatchError(RepositoryError):
    """The model targets another contract major, or its graph's inputs/outputs differ from the contract."""


class GoldenMismatchError(RepositoryError):
    """The model's output on the manifest's golden input differs from the recorded output."""


class VersionExistsError(RepositoryError, FileExistsError):
    """Publishing a version that is already in the repository (versions are immutable)."""


class RepositoryNotWritableError(RepositoryError, PermissionError):
    """The repository folder cannot be written (permissions or a read-only file system)."""
