"""`transformer`, the accuracy model: filterbank, then a small conformer (attention + convolution)."""

from __future__ import annotations

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn
from torch.nn import functional

from voxrank.training.diarization.models.base import SegmentationModel
from voxrank.training.diarization.models.frontend import LogFilterbank
from voxrank.training.diarization.models.heads import SpeakerHeads


class TransformerConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    num_speakers: int = Field(default=3, ge=1)
    embedding_dim: int = Field(default=128, ge=8)
    bands: int = Field(default=64, ge=8)
    hop: int = Field(default=320, ge=80, description="samples per output frame (20 ms at 16 kHz)")
    d_model: int = Field(default=128, ge=16)
    heads: int = Field(default=4, ge=1)
    layers: int = Field(default=3, ge=1)
    ffn_multiplier: int = Field(default=2, ge=1)
    conv_kernel: int = Field(default=15, ge=3)
    dropout: float = Field(default=0.1, ge=0, lt=1)
    embedding_hidden: int = Field(default=256, ge=8)

    @model_validator(mode="after")
    def _heads_divide(self) -> TransformerConfig:
        if self.d_model % self.heads:
            raise ValueError(f"d_model ({self.d_model}) must be divisible by heads ({self.heads})")
        return self


class FeedForward(nn.Module):
    def __init__(self, dim: int, multiplier: int, dropout: float) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.LayerNorm(dim),
            nn.Linear(dim, dim * multiplier),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Linear(dim * multiplier, dim),
            nn.Dropout(dropout),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(features)


class SelfAttention(nn.Module):
    """Multi-head self-attention with shape-agnostic reshapes, so ONNX keeps batch and time dynamic."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        query, key, value = (
            part.unflatten(-1, (self.heads, -1)).transpose(1, 2)
            for part in self.qkv(self.norm(features)).chunk(3, dim=-1)
        )
        dropout = self.dropout if self.training else 0.0
        attended = functional.scaled_dot_product_attention(query, key, value, dropout_p=dropout)
        return self.out(attended.transpose(1, 2).flatten(2))


class ConvolutionModule(nn.Module):
    """Depthwise convolution over time; it also gives the attention its sense of position."""

    def __init__(self, dim: int, kernel: int, dropout: float) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.layers = nn.Sequential(
            nn.Conv1d(dim, 2 * dim, 1),
            nn.GLU(dim=1),
            nn.Conv1d(dim, dim, kernel, padding=kernel // 2, groups=dim),
            nn.BatchNorm1d(dim),
            nn.SiLU(),
            nn.Conv1d(dim, dim, 1),
            nn.Dropout(dropout),
        )

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return self.layers(self.norm(features).transpose(1, 2)).transpose(1, 2)


class ConformerBlock(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        dim = config.d_model
        self.first_ffn = FeedForward(dim, config.ffn_multiplier, config.dropout)
        self.attention = SelfAttention(dim, config.heads, config.dropout)
        self.convolution = ConvolutionModule(dim, config.conv_kernel, config.dropout)
        self.second_ffn = FeedForward(dim, config.ffn_multiplier, config.dropout)
        self.out_norm = nn.LayerNorm(dim)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        features = features + 0.5 * self.first_ffn(features)
        features = features + self.attention(features)
        features = features + self.convolution(features)
        features = features + 0.5 * self.second_ffn(features)
        return self.out_norm(features)


class Transformer(SegmentationModel):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config, self.hop = config, config.hop
        self.frontend = LogFilterbank(config.bands, config.hop, kernel=max(400, config.hop + 80))
        self.input = nn.Sequential(nn.BatchNorm1d(config.bands), nn.Conv1d(config.bands, config.d_model, 1))
        self.blocks = nn.Sequential(*(ConformerBlock(config) for _ in range(config.layers)))
        self.heads = SpeakerHeads(
            config.d_model, config.num_speakers, config.embedding_dim, config.embedding_hidden
        )

    def trunk(self, waveform: torch.Tensor) -> torch.Tensor:
        features = self.input(self.frontend(waveform)).transpose(1, 2)
        return self.blocks(features).transpose(1, 2)
