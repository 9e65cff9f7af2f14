"""The shape every diarization model shares: waveform in, activity and embeddings out (contract 2)."""

from __future__ import annotations

import torch
from torch import nn

from voxrank.training.diarization.models.heads import SpeakerHeads


class SegmentationModel(nn.Module):
    """`forward(waveform [B, samples]) -> (activity [B, F, K], embeddings [B, K, D])`.

    Subclasses implement `trunk`: waveform -> frame features `[B, C, F]`. Training calls `encode`
    and `heads.pool` itself so it can pool with reference activity.
    """

    heads: SpeakerHeads
    hop: int

    def trunk(self, waveform: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def encode(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.heads(self.trunk(waveform))

    def forward(self, waveform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        activity, frame_embeddings = self.encode(waveform)
        return activity, self.heads.pool(frame_embeddings, activity)

    def num_frames(self, samples: int) -> int:
        return samples // self.hop
