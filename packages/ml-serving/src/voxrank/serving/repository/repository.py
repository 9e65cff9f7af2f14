"""`ModelRepository`: list, resolve and publish model versions in a folder (local disk or shared storage)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from packaging.version import InvalidVersion, Version

from voxrank.serving.repository.errors import ModelNotFoundError, NotReadyError, VersionNotFoundError
from voxrank.serving.repository.layout import MANIFEST_FILE, READY_FILE, STAGING_PREFIX, ModelVersion
from voxrank.serving.repository.manifest import Manifest
from voxrank.serving.repository.publish import check_can_publish, publish_version
from voxrank.serving.repository.versions import LATEST, parse_version, select_version, to_specifier


class ModelRepository:
    """A model repository rooted at `root`; only versions with a READY marker exist for readers."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def models(self) -> list[str]:
        """Names of the models that have at least one READY version, sorted."""
        if not self.root.is_dir():
            return []
        return sorted(
            entry.name
            for entry in self.root.iterdir()
            if entry.is_dir() and not entry.name.startswith(STAGING_PREFIX) and self.versions(entry.name)
        )

    def versions(self, name: str) -> list[Version]:
        """READY versions of `name`, oldest first."""
        return sorted(
            version for version, folder in self._version_folders(name) if (folder / READY_FILE).is_file()
        )

    def resolve(self, name: str, spec: str = LATEST) -> ModelVersion:
        """The highest READY version of `name` that `spec` admits ("latest", "1.2.3", "1", ">=1.2,<2")."""
        chosen = select_version(self.versions(name), spec)
        if chosen is None:
            self._explain_missing(name, spec)
        folder = self.root / name / str(chosen)
        return ModelVersion(
            name=name, version=chosen, path=folder, manifest=Manifest.read(folder / MANIFEST_FILE)
        )

    def publish(self, model_file: Path, manifest: Manifest, *, verify_golden: bool = True) -> ModelVersion:
        """Publish a validated model atomically (see `publish_version`) and return the new version."""
        folder = publish_version(self.root, Path(model_file), manifest, verify_golden=verify_golden)
        return ModelVersion(name=manifest.name, version=manifest.semver, path=folder, manifest=manifest)

    def check_can_publish(self, name: str, version: str) -> None:
        """Raise VersionExistsError or RepositoryNotWritableError now rather than at the end of an export."""
        parse_version(version)
        check_can_publish(self.root, name, version)

    def _version_folders(self, name: str) -> list[tuple[Version, Path]]:
        model_dir = self.root / name
        if not model_dir.is_dir():
            return []
        found = []
        for entry in model_dir.iterdir():
            if entry.is_dir() and not entry.name.startswith(STAGING_PREFIX):
                try:
                    found.append((Version(entry.name), entry))
                except InvalidVersion:
                    continue
        return [(version, folder) for version, folder in found if str(version) == folder.name]

    def _explain_missing(self, name: str, spec: str) -> NoReturn:
        unready = [
            str(version) for version, _ in self._version_folders(name) if version not in self.versions(name)
        ]
        specifier = to_specifier(spec)
        if specifier is not None and any(version in specifier for version in map(Version, unready)):
            raise NotReadyError(
                f"{name} {spec} matches only versions without a READY marker ({', '.join(unready)}): "
                "their publication never finished"
            )
        available = [str(version) for version in self.versions(name)]
        if not available:
            raise ModelNotFoundError(f"model '{name}' has no READY version in {self.root}")
        raise VersionNotFoundError(
            f"no READY version of '{name}' matches '{spec}' (available: {', '.join(available)})"
        )
