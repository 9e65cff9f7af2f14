"""The module training optimises: a segmentation model plus its speaker classifier (not exported)."""

from __future__ import annotations

import torch
from torch import nn

from voxrank.training.diarization.losses import AdditiveMarginSoftmax, align, permutation_invariant_bce
from voxrank.training.diarization.models import SegmentationModel


class DiarizationObjective(nn.Module):
    teacher: torch.Tensor | None

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
        teacher: torch.Tensor | None = None,
        distillation_weight: float = 0.0,
    ) -> None:
        super().__init__()
        self.model = model
        self.classifier = AdditiveMarginSoftmax(
            embedding_dim, max(num_speakers, 1), margin=margin, scale=scale
        )
        self.embedding_weight, self.min_frames = embedding_weight, min_frames
        self.distillation_weight = distillation_weight
        # `[S, D]` teacher embedding per training speaker (zero rows: no teacher); not a parameter.
        self.register_buffer("teacher", teacher, persistent=False)

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
        losses = {"segmentation_loss": segmentation, "speaker_loss": speaker}
        if self.teacher is not None:
            losses["distillation_loss"] = self._distillation(embeddings, ids, valid)
        total = segmentation + self.embedding_weight * speaker
        if "distillation_loss" in losses:
            total = total + self.distillation_weight * losses["distillation_loss"]
        return {"loss": total, **{name: value.detach() for name, value in losses.items()}}

    def _distillation(self, embeddings: torch.Tensor, ids: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        """Mean cosine distance between each local speaker's embedding (after the PIT permutation) and
        the teacher's embedding of the reference speaker assigned to it."""
        assert self.teacher is not None
        targets = self.teacher[ids.clamp(min=0)]
        taught = valid & (targets.norm(dim=2) > 0)
        if not bool(taught.any()):
            return 0.0 * embeddings.sum()
        return (1 - (embeddings[taught] * targets[taught]).sum(dim=1)).mean()
