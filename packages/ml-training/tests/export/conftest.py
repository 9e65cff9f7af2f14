"""A tiny stand-in segmenter family ("tinyconv") trained for a few steps on synthetic tones, registered
as an export config the way a real model family is, so the whole export path runs in seconds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional

from voxrank.training.export import (
    CheckpointError,
    CheckpointInfo,
    ExportConfig,
    Exporter,
    Feeds,
    Runner,
    TaskMetric,
    TensorAxes,
    export_config_class,
    register_export_config,
)

HOP = 160
TONES_HZ = (440.0, 1250.0, 2900.0)
SEGMENTS = 8


class LogEnergy(nn.Module):
    """A learnable filterbank and the log of its energies, as the real families' front end."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.filters = nn.Conv1d(1, channels, 2 * HOP, stride=HOP, padding=HOP // 2)

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return torch.log(self.filters(waveform.unsqueeze(1)) ** 2 + 1e-4)


class TinySegmenter(nn.Module):
    """waveform [B, S] -> activity [B, S // HOP, 3] (one speaker per tone), embeddings [B, 3, 4]."""

    def __init__(self, channels: int = 12) -> None:
        super().__init__()
        self.front = LogEnergy(channels)
        self.norm = nn.BatchNorm1d(channels)
        self.body = nn.Conv1d(channels, channels, 3, padding=1)
        self.activity = nn.Conv1d(channels, len(TONES_HZ), 1)
        self.embedding = nn.Linear(channels, len(TONES_HZ) * 4)

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        features = torch.relu(self.norm(self.front(waveform)))
        features = features + torch.relu(self.body(features))
        activity = torch.sigmoid(self.activity(features)).transpose(1, 2)
        embeddings = self.embedding(features.mean(dim=2)).unflatten(1, (len(TONES_HZ), 4))
        return activity, functional.normalize(embeddings, dim=-1)


def tone_windows(count: int, samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows where each tone is on in random segments, and the per-frame on/off labels."""
    rng = np.random.default_rng(seed)
    time = np.arange(samples) / 16_000
    frames = samples // HOP
    labels = np.zeros((count, frames, len(TONES_HZ)), dtype=np.float32)
    waveforms = 0.01 * rng.standard_normal((count, samples)).astype(np.float32)
    segment = frames // SEGMENTS
    for index in range(count):
        on = rng.random((SEGMENTS, len(TONES_HZ))) < 0.4
        labels[index, : segment * SEGMENTS] = np.repeat(on, segment, axis=0)
        mask = np.repeat(labels[index], HOP, axis=0)[:samples]
        for tone, hz in enumerate(TONES_HZ):
            waveforms[index, : len(mask)] += 0.3 * mask[:, tone] * np.sin(2 * np.pi * hz * time[: len(mask)])
    return waveforms.astype(np.float32), labels


def train_tiny(steps: int = 40, seed: int = 0) -> tuple[TinySegmenter, list[float]]:
    torch.manual_seed(seed)
    model = TinySegmenter()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-2)
    waveforms, labels = (torch.from_numpy(array) for array in tone_windows(32, 3_200, seed))
    losses = []
    for step in range(steps):
        batch = slice((step * 8) % 32, (step * 8) % 32 + 8)
        activity, _ = model(waveforms[batch])
        loss = functional.binary_cross_entropy(activity, labels[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model.eval(), losses


def save_tiny_checkpoint(path: Path, model: nn.Module, family: str = "tinyconv") -> Path:
    torch.save(
        {
            "format": "voxrank-checkpoint/1",
            "task": "diarization",
            "model": family,
            "model_config": {"channels": 12},
            "state_dict": model.state_dict(),
            "step": 40,
            "metrics": {},
            "config": {},
        },
        path,
    )
    return path


def frame_error_rate(runner: Runner) -> dict[str, float]:
    """Fraction of (frame, speaker) decisions that differ from the labels, on fixed validation windows."""
    waveforms, labels = tone_windows(8, 8_000, seed=99)
    activity = np.asarray(runner({"waveform": waveforms})["activity"])
    return {"frame_error": float(np.mean((activity > 0.5) != (labels > 0.5)))}


@register_export_config
class TinyConvExportConfig(ExportConfig):
    family = "tinyconv"
    repository_name = "diarization-tinyconv"
    task = "diarization"
    inputs = (TensorAxes("waveform", {0: "batch", 1: "samples"}),)
    outputs = (TensorAxes("activity", {0: "batch", 1: "frames"}), TensorAxes("embeddings", {0: "batch"}))
    quantization = "static"
    float_modules = ("front",)

    def load(self, checkpoint_path: Path) -> tuple[nn.Module, CheckpointInfo]:
        checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False)
        if checkpoint["model"] != self.family:
            raise CheckpointError(
                f"{checkpoint_path} holds a {checkpoint['model']!r} model, not {self.family!r}"
            )
        model = TinySegmenter(**checkpoint["model_config"])
        model.load_state_dict(checkpoint["state_dict"])
        return model.eval(), CheckpointInfo.from_checkpoint(checkpoint_path, checkpoint)

    def example_inputs(self) -> Feeds:
        return {"waveform": tone_windows(2, 4_000, seed=1)[0]}

    def validation_inputs(self) -> list[Feeds]:
        return [
            {"waveform": tone_windows(batch, samples, seed=2)[0]}
            for batch, samples in ((1, 1_600), (3, 8_000), (2, 12_160))
        ]

    def golden_inputs(self) -> Feeds:
        return {"waveform": tone_windows(1, 1_600, seed=3)[0]}

    def latency_inputs(self) -> Feeds:
        return {"waveform": tone_windows(1, 8_000, seed=4)[0]}

    def calibration_inputs(self) -> list[Feeds]:
        return [{"waveform": batch[None]} for batch in tone_windows(16, 8_000, seed=5)[0]]

    def preprocessing(self) -> dict[str, Any]:
        return {"sample_rate": 16_000, "window_s": 0.5, "step_s": 0.25}

    def postprocessing(self) -> dict[str, Any]:
        return {"onset": 0.5, "offset": 0.4}

    def task_metric(self) -> TaskMetric | None:
        return TaskMetric("frame_error", frame_error_rate, max_delta=0.05)


@register_export_config
class TinyLinearExportConfig(TinyConvExportConfig):
    """The same network exported the way linear/recurrent families are: dynamic int8."""

    family = "tinylinear"
    repository_name = "diarization-tinylinear"
    quantization = "dynamic"


@pytest.fixture(scope="session")
def trained() -> tuple[TinySegmenter, list[float]]:
    return train_tiny()


@pytest.fixture(scope="session")
def tiny_checkpoint(
    tmp_path_factory: pytest.TempPathFactory, trained: tuple[TinySegmenter, list[float]]
) -> Path:
    return save_tiny_checkpoint(tmp_path_factory.mktemp("checkpoint") / "tinyconv.pt", trained[0])


@pytest.fixture(scope="session")
def tiny_exporter(tiny_checkpoint: Path) -> Exporter:
    """One exporter for the session: the fp32 graph is exported once and every precision starts from it."""
    return Exporter(export_config_class("tinyconv")(tiny_checkpoint))


@pytest.fixture(name="tone_windows")
def tone_windows_fixture() -> Callable[..., tuple[np.ndarray, np.ndarray]]:
    return tone_windows
