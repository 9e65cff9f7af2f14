"""Where things live: `<root>/<model-name>/<X.Y.Z>/{model.onnx, manifest.json, READY}`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.version import Version

from voxrank.serving.repository.manifest import Manifest

MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
READY_FILE = "READY"
STAGING_PREFIX = "."
"""Folders being published start with a dot and are never listed as versions."""


@dataclass(frozen=True)
class ModelVersion:
    """One published version of a model, with its parsed manifest."""

    name: str
    version: Version
    path: Path
    manifest: Manifest

    @property
    def model_path(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def ready_path(self) -> Path:
        return self.path / READY_FILE
