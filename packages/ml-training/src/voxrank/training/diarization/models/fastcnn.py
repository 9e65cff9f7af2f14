"""`fastcnn`, the latency model: filterbank, then dilated depthwise-separable residual blocks.

Designed for about 2 ms per 5 s window on one CPU core in ONNX Runtime: 20 ms frames straight from the
front end, few channels, only Conv/BatchNorm/ReLU/Add (BatchNorm folds into the convolutions).
"""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from voxrank.training.diarization.models.base import SegmentationModel
from voxrank.training.diarization.models.frontend import LogFilterbank
from voxrank.training.diarization.models.heads import SpeakerHeads


class FastCNNConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    num_speakers: int = Field(default=3, ge=1)
    embedding_dim: int = Field(default=128, ge=8)
    bands: int = Field(default=40, ge=8)
    hop: int = Field(default=320, ge=80, description="samples per output frame (20 ms at 16 kHz)")
    channels: int = Field(default=96, ge=8)
    kernel_size: int = Field(default=5, ge=3)
    dilations: list[int] = Field(default_factory=lambda: [1, 2, 4, 8, 1, 2, 4, 8])
    embedding_hidden: int = Field(default=192, ge=8)


class SeparableBlock(nn.Module):
    def __init__(self, channels: int, kernel_size: int, dilation: int) -> None:
        super().__init__()
        padding = dilation * (kernel_size - 1) // 2
        self.layers = nn.Sequential(
            nn.Conv1d(channels, channels, kernel_size, padding=padding, dilation=dilation, groups=channels),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
            nn.Conv1d(channels, channels, 1),
            nn.BatchNorm1d(channels),
            nn.ReLU(),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features + self.layers(features)


class FastCNN(SegmentationModel):
    def __init__(self, config: FastCNNConfig) -> None:
        super().__init__()
        self.config, self.hop = config, config.hop
        self.frontend = LogFilterbank(config.bands, config.hop, kernel=max(400, config.hop + 80))
        self.input = nn.Sequential(
            nn.BatchNorm1d(config.bands), nn.Conv1d(config.bands, config.channels, 1), nn.ReLU()
        )
        self.blocks = nn.Sequential(
            *(SeparableBlock(config.channels, config.kernel_size, dilation) for dilation in config.dilations)
        )
        self.heads = SpeakerHeads(
            config.channels, config.num_speakers, config.embedding_dim, config.embedding_hidden
        )

    def trunk(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.blocks(self.input(self.frontend(waveform)))
