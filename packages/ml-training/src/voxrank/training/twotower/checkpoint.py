"""Two-tower checkpoints in the shared format of contract 5 ("voxrank-checkpoint/1")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from voxrank.training.twotower.model import MODEL_NAME, TwoTower, build_model

CHECKPOINT_FORMAT = "voxrank-checkpoint/1"
TASK = "two-tower"


class CheckpointError(ValueError):
    """A file is not a two-tower checkpoint."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write atomically: a killed run leaves the previous checkpoint intact."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    torch.save({"format": CHECKPOINT_FORMAT, "task": TASK, "model": MODEL_NAME, **payload}, temporary)
    temporary.replace(path)


def load_checkpoint(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist")
    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a voxrank checkpoint")
    if checkpoint.get("task") != TASK:
        raise CheckpointError(f"{path} is a {checkpoint.get('task')!r} checkpoint, not a two-tower one")
    return checkpoint


def model_from_checkpoint(path: Path) -> tuple[TwoTower, dict[str, Any]]:
    checkpoint = load_checkpoint(path)
    model = build_model(checkpoint["model"], checkpoint["model_config"])
    model.load_state_dict(checkpoint["state_dict"])
    return model.eval(), checkpoint
