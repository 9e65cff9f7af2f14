"""The module training optimises: a segmentation model plus its speaker classifier (not exported)."""

from __future__ import annotations

import torch
from torch import nn

from voxrank.training.diarization.losses import AdditiveMarginSoftmax, align, permutation_invariant_bce
from voxrank.training.diarization.models import SegmentationModel


class DiarizationObjective(nn.Module):
    def __init__(
        self,
        model: SegmentationModel,
        embedding_dim: int,
        num_speakers: int,
        embedding_weight: float,
        min_frames: int,
        *,
        margin: float = 0.0,
        scale: float = 16.0,
    ) -> None:
        super().__init__()
        self.model = model
        self.classifier = AdditiveMarginSoftmax(
            embedding_dim, max(num_speakers, 1), margin=margin, scale=scale
        )
        self.embedding_weight, self.min_frames = embedding_weight, min_frames

    def forward(
        self, waveform: torch.Tensor, labels: torch.Tensor, speaker_ids: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        activity, frame_embeddings = self.model.encode(waveform)
        segmentation, permutation = permutation_invariant_bce(activity, labels)
        aligned, ids = align(labels, speaker_ids, permutation)
        # Pool with reference and predicted activity mixed: clean targets from step one, yet the
        # embedding head also sees the imperfect weights it gets at inference.
        embeddings = self.model.heads.pool(frame_embeddings, 0.5 * (aligned + activity.detach()))
        valid = (ids >= 0) & (aligned.sum(dim=1) >= self.min_frames)
        if bool(valid.any()):
            speaker = self.classifier(embeddings[valid], ids[valid])
        else:  # every parameter must take part in each step for DistributedDataParallel
            speaker = 0.0 * (embeddings.sum() + self.classifier.weight.sum())
        return {
            "loss": segmentation + self.embedding_weight * speaker,
            "segmentation_loss": segmentation.detach(),
            "speaker_loss": speaker.detach(),
        }
