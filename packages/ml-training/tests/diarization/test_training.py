import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from voxrank.serving.diarization import Turn
from voxrank.training.diarization import train as train_module
from voxrank.training.diarization.checkpoint import CheckpointError, load_checkpoint
from voxrank.training.diarization.config import parse_config
from voxrank.training.diarization.data.build import build_training_data
from voxrank.training.diarization.models import build_model
from voxrank.training.diarization.objective import DiarizationObjective
from voxrank.training.diarization.train import train


def test_a_tiny_model_learns_synthetic_speech(tiny_config) -> None:
    config = parse_config(tiny_config)
    torch.manual_seed(0)
    model = build_model(config.model, config.model_config_values)
    data = build_training_data(config, model.hop, 3)
    objective = DiarizationObjective(model, 16, len(data.speaker_names), 0.3, 10)
    batch = torch.utils.data.default_collate([data.windows[index] for index in range(8)])
    optimizer = torch.optim.Adam(objective.parameters(), lr=3e-3)
    losses = []
    for _ in range(15):
        loss = objective(batch["waveform"], batch["labels"], batch["speaker_ids"])["loss"]
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0], losses


def test_training_writes_checkpoints_metrics_and_curves(tiny_config) -> None:
    best = train(parse_config(tiny_config))
    run = best.parent
    checkpoint = load_checkpoint(best, expected_model="fastcnn")
    assert checkpoint["step"] in (3, 6) and checkpoint["metrics"]["dev_der_collar_0.5"] is not None
    assert checkpoint["pipeline"]["clustering_threshold"] == 0.5
    assert load_checkpoint(run / "last.pt")["step"] == 6
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if "dev_der" in r] == [3, 6]
    assert (run / "curves.png").stat().st_size > 1000


def test_pipeline_settings_are_tuned_on_validation_recordings(
    tiny_config, corpus_writer, tmp_path: Path
) -> None:
    rng = np.random.default_rng(2)
    audio = (0.1 * rng.standard_normal(16_000 * 8)).astype(np.float32)
    root = corpus_writer(
        tmp_path / "corpus", "train", {"m1": (audio, [Turn(1.0, 4.0, "a"), Turn(5.0, 7.0, "b")])}
    )
    validation = {
        **tiny_config["validation"],
        "corpora": [{"root": str(root), "split": "train"}],
        "onsets": [0.4, 0.6],
        "offset_gaps": [0.1, 0.3],
        "min_durations_off": [0.2],
        "thresholds": [0.4, 0.7],
    }
    config = parse_config({**tiny_config, "validation": validation})
    data = build_training_data(config, 320, 3)
    assert [item.uri for item in data.tuning] == ["m1"]
    assert len(data.validation) == 2, "checkpoints are still chosen on simulated and real recordings"

    checkpoint = load_checkpoint(train(config))
    search = checkpoint["metrics"]["pipeline_search"]
    assert len(search) == 2 * 2 + 2
    pipeline = checkpoint["pipeline"]
    assert pipeline["onset"] in (0.4, 0.6) and pipeline["min_duration_off"] == 0.2
    assert round(pipeline["onset"] - pipeline["offset"], 3) in (0.1, 0.3)
    assert pipeline["clustering_threshold"] in (0.4, 0.7)
    chosen = f"onset={pipeline['onset']} offset={pipeline['offset']} min_duration_off=0.2"
    assert search[chosen] == min(value for key, value in search.items() if key.startswith("onset"))


class KilledError(Exception):
    """Stands in for the process being killed right after a checkpoint was written."""


def test_resume_reaches_the_same_weights_as_an_uninterrupted_run(
    tiny_config, monkeypatch, tmp_path: Path
) -> None:
    straight = (
        train(parse_config({**tiny_config, "output_dir": str(tmp_path / "straight")})).parent / "last.pt"
    )

    interrupted = parse_config({**tiny_config, "output_dir": str(tmp_path / "interrupted")})
    real_save = train_module.save_checkpoint

    def save_then_die(path: Path, payload: dict) -> None:
        real_save(path, payload)
        if path.name == "last.pt" and payload["step"] == 3:
            raise KilledError

    monkeypatch.setattr(train_module, "save_checkpoint", save_then_die)
    with pytest.raises(KilledError):
        train(interrupted)
    monkeypatch.setattr(train_module, "save_checkpoint", real_save)
    assert load_checkpoint(interrupted.output_dir / "last.pt")["step"] == 3
    train(interrupted, resume=True)

    expected, resumed = load_checkpoint(straight), load_checkpoint(interrupted.output_dir / "last.pt")
    assert resumed["step"] == 6
    for name, tensor in expected["state_dict"].items():
        assert torch.equal(resumed["state_dict"][name], tensor), name
    steps = [
        json.loads(line)["step"]
        for line in (interrupted.output_dir / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == sorted(steps), "the resumed log continues, without the killed run's duplicates"


def test_resume_refuses_a_changed_config(tiny_config) -> None:
    train(parse_config(tiny_config))
    changed = parse_config({**tiny_config, "training": {**tiny_config["training"], "learning_rate": 0.1}})
    with pytest.raises(CheckpointError, match="different config"):
        train(changed, resume=True)


@pytest.mark.slow
def test_two_process_ddp_run(tiny_config, tmp_path: Path) -> None:
    import tomli_w

    config_path = tmp_path / "tiny.toml"
    config_path.write_bytes(tomli_w.dumps(tiny_config).encode())
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "--no-python",
        shutil.which("voxrank-train", path=str(Path(sys.executable).parent)) or "voxrank-train",
        "diarization", "--config", str(config_path),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=500, check=False, env=_single_threaded()
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    run = Path(tiny_config["output_dir"])
    assert load_checkpoint(run / "last.pt")["step"] == 6
    assert (run / "curves.png").is_file()


def _single_threaded() -> dict[str, str]:
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1"}
