"""What both model families end with: per-frame activity of K local speakers and one embedding each."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional


class SpeakerHeads(nn.Module):
    """Multilabel activity (sigmoid per local speaker) and activity-weighted embedding pooling (EEND-VC)."""

    def __init__(self, channels: int, num_speakers: int, embedding_dim: int, hidden: int = 256) -> None:
        super().__init__()
        self.activity = nn.Conv1d(channels, num_speakers, 1)
        self.frame_embedding = nn.Sequential(nn.Conv1d(channels, hidden, 1), nn.ReLU())
        self.projection = nn.Linear(2 * hidden, embedding_dim)

    def forward(self, features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`[B, C, F]` -> activity `[B, F, K]` in [0, 1] and frame embeddings `[B, H, F]`."""
        activity = torch.sigmoid(self.activity(features)).transpose(1, 2)
        return activity, self.frame_embedding(features)

    def pool(self, frame_embeddings: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Weighted mean and standard deviation of frame embeddings per speaker -> `[B, K, D]`, unit norm."""
        total = weights.sum(dim=1).unsqueeze(2) + 1e-4
        mean = torch.bmm(weights.transpose(1, 2), frame_embeddings.transpose(1, 2)) / total
        square = torch.bmm(weights.transpose(1, 2), (frame_embeddings * frame_embeddings).transpose(1, 2))
        std = torch.sqrt(torch.clamp(square / total - mean * mean, min=1e-6))
        return functional.normalize(self.projection(torch.cat([mean, std], dim=2)), dim=2)
