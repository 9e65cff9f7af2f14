"""What export records about the training checkpoint (contract 5) a model came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxrank.serving.repository import sha256_file


@dataclass(frozen=True)
class CheckpointInfo:
    """Provenance of an export: the checkpoint file, its model family and configuration, its step."""

    path: Path
    sha256: str
    task: str
    model: str
    model_config: dict[str, Any]
    step: int | None = None
    metrics: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_checkpoint(cls, path: Path, checkpoint: dict[str, Any]) -> CheckpointInfo:
        """From a loaded `voxrank-checkpoint/1` dict (the family's own loader has checked it)."""
        return cls(
            path=path,
            sha256=sha256_file(path),
            task=str(checkpoint["task"]),
            model=str(checkpoint["model"]),
            model_config=dict(checkpoint.get("model_config") or {}),
            step=checkpoint.get("step"),
            metrics=dict(checkpoint.get("metrics") or {}),
        )
