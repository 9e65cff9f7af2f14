"""A tiny two-tower run end to end: falling loss, reports, exact resume, the CLI, export with parity."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from voxrank.serving.recommend.features import encode_histories, encode_items
from voxrank.serving.recommend.towers import ITEM_TASK, USER_TASK, Tower
from voxrank.serving.repository import ModelRepository
from voxrank.serving.runtime.providers import ProviderChain
from voxrank.serving.runtime.session import SessionConfig, SessionRunner
from voxrank.training.cli import app as train_cli
from voxrank.training.twotower.checkpoint import load_checkpoint, model_from_checkpoint
from voxrank.training.twotower.config import ConfigError, TwoTowerTrainingConfig, load_config
from voxrank.training.twotower.data import load_split
from voxrank.training.twotower.train import Distributed, Trainer, train


def test_training_learns_and_reports_against_baselines(tiny_config: TwoTowerTrainingConfig) -> None:
    run = train(tiny_config)
    rows = [json.loads(line) for line in (tiny_config.output_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [row["loss"] for row in rows if "loss" in row]
    assert losses[-1] < losses[0]
    assert run.evaluation is not None
    methods = run.evaluation["methods"]
    assert set(methods) == {"two-tower", "popularity", "item-knn"}
    assert all(0 <= methods[name]["recall@10"] <= methods[name]["recall@50"] <= 1 for name in methods)
    # Simulated users follow metadata tastes; the towers must find them better than popularity does.
    assert methods["two-tower"]["recall@50"] > methods["popularity"]["recall@50"]
    for name in ("evaluation.json", "evaluation.md", "evaluation.png", "training_curve.png"):
        assert (tiny_config.output_dir / name).stat().st_size > 0
    checkpoint = load_checkpoint(run.checkpoint)
    assert checkpoint["format"] == "voxrank-checkpoint/1" and checkpoint["task"] == "two-tower"
    assert checkpoint["model_config"]["output_dim"] == 768


def test_resume_reaches_the_same_weights(tiny_config: TwoTowerTrainingConfig, tmp_path: Path) -> None:
    torch.set_num_threads(1)
    split = load_split(tiny_config.data)
    straight = Trainer(
        tiny_config.model_copy(update={"output_dir": tmp_path / "straight"}), split, Distributed()
    )
    straight.fit()
    interrupted_config = tiny_config.model_copy(update={"output_dir": tmp_path / "interrupted"})
    interrupted = Trainer(interrupted_config, split, Distributed())
    interrupted.total_steps = 10  # the process "dies" after the checkpoint at step 10
    interrupted.fit()
    resumed = Trainer(interrupted_config, split, Distributed())
    resumed.resume()
    assert resumed.step == 10
    resumed.fit()
    for name, value in straight.model.state_dict().items():
        assert torch.equal(value, resumed.model.state_dict()[name]), name


def test_cli_trains_and_evaluates_and_refuses_bad_configs(
    tiny_config: TwoTowerTrainingConfig, tmp_path: Path
) -> None:
    config_path = tmp_path / "tiny.toml"
    config_path.write_text(_toml(tiny_config), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(train_cli, ["twotower", "--config", str(config_path), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert "item-knn" in result.output
    evaluation = runner.invoke(
        train_cli,
        [
            "evaluate",
            "twotower",
            "--checkpoint",
            str(tiny_config.output_dir / "checkpoints" / "last.pt"),
            "--output-dir",
            str(tmp_path / "eval"),
        ],
    )
    assert evaluation.exit_code == 0, evaluation.output
    assert json.loads((tmp_path / "eval" / "evaluation.json").read_text())["methods"]["two-tower"]
    bad = tmp_path / "bad.toml"
    bad.write_text("[train]\nepochz = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="epochz"):
        load_config(bad)
    refused = runner.invoke(train_cli, ["twotower", "--config", str(bad)])
    assert refused.exit_code == 2 and "epochz" in refused.output


def _toml(config: TwoTowerTrainingConfig) -> str:
    import tomli_w

    return tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))


@pytest.mark.slow
def test_both_towers_export_with_parity_and_serve_the_same_embeddings(
    tiny_config: TwoTowerTrainingConfig, tmp_path: Path
) -> None:
    from voxrank.training.export.exporter import ExportRequest, export_model

    tiny_config.train.epochs = 1
    run = train(tiny_config, run_evaluation=False)
    repository = tmp_path / "repository"
    for model in ("two-tower-user", "two-tower-item"):
        published = export_model(
            ExportRequest(
                model=model,
                checkpoint=run.checkpoint,
                precision="fp32",
                version="1.0.0",
                repository=repository,
            )
        )
        manifest = published.manifest
        assert manifest.parity.max_abs_diff <= 1e-4
        assert manifest.outputs[0].name == "embedding" and manifest.outputs[0].shape[-1] == 768
        assert "recall@10" in " ".join(manifest.metrics)
    torch_model, _ = model_from_checkpoint(run.checkpoint)
    spec = torch_model.config.features
    session = SessionConfig(ProviderChain.from_short_names(["cpu"]))
    towers = {}
    for task in (USER_TASK, ITEM_TASK):
        version = ModelRepository(repository).resolve(task, "latest")
        towers[task] = Tower.from_manifest(SessionRunner(version.model_path, session), version.manifest, task)
    split = run.split
    histories = [split.histories[user] for user in split.test_users[:20]]
    with torch.no_grad():
        expected_users = torch_model.user_tower(
            **{k: torch.from_numpy(v) for k, v in encode_histories(histories, spec).items()}
        )
        expected_items = torch_model.item_tower(
            **{k: torch.from_numpy(v) for k, v in encode_items(split.catalog, spec).items()}
        )
    assert np.allclose(towers[USER_TASK].embed_users(histories), expected_users.numpy(), atol=1e-4)
    assert np.allclose(towers[ITEM_TASK].embed_items(split.catalog), expected_items.numpy(), atol=1e-4)


@pytest.mark.slow
def test_two_process_ddp_run_trains_and_writes_one_checkpoint(
    tiny_config: TwoTowerTrainingConfig, tmp_path: Path
) -> None:
    tiny_config.train.epochs = 1
    tiny_config.evaluation.baselines = []
    config_path = tmp_path / "ddp.toml"
    config_path.write_text(_toml(tiny_config), encoding="utf-8")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2", "--no-python"]
    command += [str(Path(sys.executable).parent / "voxrank-train"), "twotower", "--config", str(config_path)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = load_checkpoint(tiny_config.output_dir / "checkpoints" / "last.pt")
    single = Trainer(tiny_config, load_split(tiny_config.data), Distributed())
    # Each process took half of every global batch, so the step count is that of one process.
    assert checkpoint["step"] == single.total_steps
    rows = [json.loads(line) for line in (tiny_config.output_dir / "metrics.jsonl").read_text().splitlines()]
    assert len([row for row in rows if "loss" in row]) == len({row["step"] for row in rows if "loss" in row})
