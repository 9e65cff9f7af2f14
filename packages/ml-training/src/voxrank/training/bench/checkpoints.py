"""Modules to time, rebuilt from training checkpoints."""

from __future__ import annotations

from pathlib import Path

from voxrank.training.bench.reference import TorchTarget


class CheckpointError(ValueError):
    """A checkpoint spec or file that cannot give a module to time."""


def from_specs(specs: list[str]) -> list[TorchTarget]:
    if specs:
        raise CheckpointError(
            "timing checkpoints needs the diarization models (build_model), not yet available"
        )
    return []


def from_repository(root: Path) -> list[TorchTarget]:
    raise CheckpointError(f"timing the checkpoints behind {root} needs the diarization models (build_model)")
