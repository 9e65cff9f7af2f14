"""Checkpoints (contract 5): one `torch.save` dict, written atomically, checked when read back."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from voxrank.training.diarization.models import SegmentationModel, build_model

CHECKPOINT_FORMAT = "voxrank-checkpoint/1"
TASK = "diarization"


class CheckpointError(ValueError):
    """A checkpoint that is missing, unreadable, or made for another task or model."""


def save_checkpoint(path: Path, payload: dict[str, Any]) -> None:
    """Write to a temporary file beside `path` and rename it into place, so a kill leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(handle)
    try:
        torch.save({"format": CHECKPOINT_FORMAT, "task": TASK, **payload}, temporary)
        Path(temporary).chmod(0o644)  # mkstemp's 0600 would hide checkpoints from the export and bench users
        Path(temporary).replace(path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def load_checkpoint(path: Path, expected_model: str | None = None) -> dict[str, Any]:
    """The checkpoint dict; refuses files of another format, task or (when given) model family."""
    if not Path(path).is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({error})") from error
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a {CHECKPOINT_FORMAT} checkpoint")
    if checkpoint.get("task") != TASK:
        raise CheckpointError(f"{path}: a {checkpoint.get('task')!r} checkpoint, not a diarization one")
    if expected_model is not None and checkpoint.get("model") != expected_model:
        raise CheckpointError(f"{path}: holds a {checkpoint.get('model')!r} model, not {expected_model!r}")
    return checkpoint


def model_from_checkpoint(
    path: Path, expected_model: str | None = None
) -> tuple[SegmentationModel, dict[str, Any]]:
    """The model in eval mode with its trained weights, and the checkpoint dict."""
    checkpoint = load_checkpoint(path, expected_model)
    model = build_model(checkpoint["model"], checkpoint["model_config"])
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise CheckpointError(f"{path}: weights do not fit a {checkpoint['model']} model: {error}") from error
    return model.eval(), checkpoint
