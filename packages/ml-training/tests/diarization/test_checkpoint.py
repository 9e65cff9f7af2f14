from pathlib import Path

import pytest
import torch

from voxrank.training.diarization.checkpoint import (
    CheckpointError,
    load_checkpoint,
    model_from_checkpoint,
    save_checkpoint,
)
from voxrank.training.diarization.models import build_model


def _save(path: Path, model_name: str = "fastcnn", config: dict | None = None) -> None:
    config = config or {"channels": 16, "dilations": [1]}
    model = build_model(model_name, config)
    save_checkpoint(
        path, {"model": model_name, "model_config": config, "state_dict": model.state_dict(), "step": 1}
    )


def test_round_trip_restores_the_weights(tmp_path: Path) -> None:
    _save(tmp_path / "a.pt")
    model, checkpoint = model_from_checkpoint(tmp_path / "a.pt", expected_model="fastcnn")
    assert checkpoint["format"] == "voxrank-checkpoint/1" and checkpoint["task"] == "diarization"
    for name, tensor in checkpoint["state_dict"].items():
        assert torch.equal(model.state_dict()[name], tensor)
    assert not list(tmp_path.glob(".a.pt.*")), "no temporary file is left behind"


def test_checkpoint_of_another_model_is_refused(tmp_path: Path) -> None:
    _save(tmp_path / "a.pt")
    with pytest.raises(CheckpointError, match="holds a 'fastcnn' model, not 'transformer'"):
        load_checkpoint(tmp_path / "a.pt", expected_model="transformer")


def test_other_tasks_formats_and_garbage_are_refused(tmp_path: Path) -> None:
    torch.save({"format": "voxrank-checkpoint/1", "task": "two-tower"}, tmp_path / "tower.pt")
    with pytest.raises(CheckpointError, match="'two-tower' checkpoint"):
        load_checkpoint(tmp_path / "tower.pt")
    torch.save({"weights": 1}, tmp_path / "plain.pt")
    with pytest.raises(CheckpointError, match="not a voxrank-checkpoint/1"):
        load_checkpoint(tmp_path / "plain.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable"):
        load_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "absent.pt")


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path: Path) -> None:
    model = build_model("fastcnn", {"channels": 16, "dilations": [1]})
    save_checkpoint(
        tmp_path / "bad.pt",
        {
            "model": "fastcnn",
            "model_config": {"channels": 32, "dilations": [1]},
            "state_dict": model.state_dict(),
        },
    )
    with pytest.raises(CheckpointError, match="do not fit"):
        model_from_checkpoint(tmp_path / "bad.pt")
