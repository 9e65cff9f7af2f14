"""`reference` mode and `bench-reference`: PyTorch timings in the serving harness's schema."""

from __future__ import annotations

import json
from pathlib import Path

import torch
import typer
from torch import nn
from typer.testing import CliRunner

from voxrank.serving.bench.measure import MeasureSettings
from voxrank.serving.bench.model import Workload
from voxrank.serving.bench.report import REFERENCE_NETWORK
from voxrank.training.bench.cli import bench_reference
from voxrank.training.bench.reference import TorchTarget, measure_torch, run_reference_mode
from voxrank.training.diarization.checkpoint import save_checkpoint
from voxrank.training.diarization.models import build_model


class Broken(nn.Module):
    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("this backend cannot run the model")


def test_eager_measurement_has_percentiles_and_the_workload() -> None:
    target = TorchTarget("tiny", nn.Sequential(nn.Linear(1600, 4)).eval(), checkpoint="c0ffee")
    [measurement] = run_reference_mode(
        [target], [Workload("cpu", 2, 0.1, 1)], MeasureSettings.quick(), engines=["torch-eager"]
    )
    assert measurement.status == "ok"
    assert measurement.latency is not None and measurement.latency.p99_ms > 0
    assert measurement.parameters == {
        "engine": "torch-eager",
        "precision": "fp32",
        "checkpoint": "c0ffee",
        "provider": "cpu",
        "batch": 2,
        "input_s": 0.1,
        "threads": 1,
    }


def test_a_model_that_fails_is_reported_skipped_with_the_reason() -> None:
    measurement = measure_torch(
        TorchTarget("broken", Broken()), "torch-eager", Workload("cpu", 1, 0.1, 1), MeasureSettings.quick()
    )
    assert measurement.status == "skipped"
    assert measurement.reason == "this backend cannot run the model"


def test_bench_reference_writes_the_reference_network_result(tmp_path: Path) -> None:
    out = tmp_path / "reference.json"
    result = CliRunner().invoke(
        _cli(), ["--out", str(out), "--batch", "1", "--input-s", "0.5", "--engine", "torch-eager", "--quick"]
    )
    assert result.exit_code == 0, result.output
    [measurement] = json.loads(out.read_text())["measurements"]
    assert measurement["name"] == REFERENCE_NETWORK
    assert measurement["latency"]["p50_ms"] > 0


def test_bench_reference_refuses_an_unknown_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["--out", str(tmp_path / "r.json"), "--engine", "tensorflow"])
    assert result.exit_code == 2
    assert "unknown engine" in result.output


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command()(bench_reference)
    return app


def test_bench_reference_times_a_trained_checkpoint_under_its_export_name(tmp_path: Path) -> None:
    config = {"channels": 8, "embedding_dim": 8, "embedding_hidden": 8, "dilations": [1]}
    model = build_model("fastcnn", config)
    checkpoint = tmp_path / "fastcnn.pt"
    save_checkpoint(
        checkpoint, {"model": "fastcnn", "model_config": config, "state_dict": model.state_dict()}
    )
    out = tmp_path / "reference.json"
    result = CliRunner().invoke(
        _cli(),
        [
            *(
                "--out",
                str(out),
                "--checkpoint",
                f"diarization-fastcnn={checkpoint}",
                "--no-reference-network",
            ),
            *("--batch", "1", "--input-s", "0.5", "--engine", "torch-eager", "--quick"),
        ],
    )
    assert result.exit_code == 0, result.output
    [measurement] = json.loads(out.read_text())["measurements"]
    assert measurement["name"] == "diarization-fastcnn"
    assert measurement["status"] == "ok"


def test_bench_reference_refuses_a_checkpoint_spec_without_a_name(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        _cli(), ["--out", str(tmp_path / "r.json"), "--checkpoint", str(tmp_path / "x.pt")]
    )
    assert result.exit_code == 2
    assert "NAME=PATH" in result.output
