"""Atomic publication: a version appears whole, with READY written last, or not at all."""

from __future__ import annotations

import errno
import json
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from voxrank.serving.repository.contract import check_contract
from voxrank.serving.repository.errors import (
    ChecksumMismatchError,
    RepositoryNotWritableError,
    VersionExistsError,
)
from voxrank.serving.repository.golden import check_golden, cpu_session
from voxrank.serving.repository.integrity import fsync_path, sha256_file, write_durably
from voxrank.serving.repository.layout import (
    MANIFEST_FILE,
    MODEL_FILE,
    READY_FILE,
    STAGING_PREFIX,
)
from voxrank.serving.repository.manifest import Manifest

_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def publish_version(root: Path, model_file: Path, manifest: Manifest, *, verify_golden: bool = True) -> Path:
    """Copy `model_file` and `manifest` into `<root>/<name>/<version>` atomically; return that folder.

    The copy is checked against the manifest's sha256 (what was validated is what is published), the
    contract is checked, and with `verify_golden` the staged copy must reproduce its golden output.
    """
    check_contract(manifest)
    refuse_existing(root, manifest.name, manifest.version)
    final = root / manifest.name / manifest.version
    with _writable(root), _model_folder(root / manifest.name) as model_dir:
        staging = Path(
            tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{manifest.version}.publishing-", dir=model_dir)
        )
        try:
            _stage(staging, model_file, manifest, verify_golden)
            _move_into_place(staging, final, manifest, root)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        try:
            write_durably(final / READY_FILE, _ready_text(manifest))
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise
    return final


def check_can_publish(root: Path, name: str, version: str) -> None:
    """Refuse early, before an export spends minutes: an existing version or a folder we cannot write."""
    refuse_existing(root, name, version)
    existing = next(folder for folder in (root / name, *(root / name).parents) if folder.exists())
    with _writable(root), tempfile.TemporaryDirectory(prefix=".write-probe-", dir=existing):
        pass


def refuse_existing(root: Path, name: str, version: str) -> None:
    if (root / name / version).exists():
        raise VersionExistsError(
            f"{name} {version} already exists in {root}: versions are immutable, publish a new version number"
        )


def _stage(staging: Path, model_file: Path, manifest: Manifest, verify_golden: bool) -> None:
    staged_model = staging / MODEL_FILE
    shutil.copyfile(model_file, staged_model)
    fsync_path(staged_model)
    digest = sha256_file(staged_model)
    if digest != manifest.sha256:
        raise ChecksumMismatchError(
            f"{model_file} has sha256 {digest}, the manifest records {manifest.sha256}: "
            "refusing to publish a file other than the one validated"
        )
    write_durably(staging / MANIFEST_FILE, manifest.to_json())
    if verify_golden:
        check_golden(cpu_session(staged_model), manifest)
    fsync_path(staging)


def _move_into_place(staging: Path, final: Path, manifest: Manifest, root: Path) -> None:
    try:
        staging.rename(final)
    except OSError as error:
        # rename() refuses a non-empty target: another publisher won the race for this version.
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise VersionExistsError(
                f"{manifest.name} {manifest.version} was published concurrently in {root}"
            ) from error
        raise
    fsync_path(final.parent)


def _ready_text(manifest: Manifest) -> str:
    return json.dumps({"sha256": manifest.sha256, "published_at": datetime.now(UTC).isoformat()}) + "\n"


@contextmanager
def _writable(root: Path) -> Iterator[None]:
    """Turn permission and read-only file-system errors into one clear RepositoryNotWritableError."""
    try:
        yield
    except OSError as error:
        if isinstance(error, RepositoryNotWritableError) or error.errno not in _NOT_WRITABLE:
            raise
        raise RepositoryNotWritableError(
            f"cannot publish into model repository {root}: {error.strerror} ({error.filename})"
        ) from error


@contextmanager
def _model_folder(model_dir: Path) -> Iterator[Path]:
    """The model's folder, created if needed and removed again if publishing left it empty."""
    created = not model_dir.exists()
    model_dir.mkdir(parents=True, exist_ok=True)
    try:
        yield model_dir
    finally:
        if created and not any(model_dir.iterdir()):
            model_dir.rmdir()
