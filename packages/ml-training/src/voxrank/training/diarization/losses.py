"""Training objectives: permutation-invariant BCE on multilabel activity, additive-margin speaker softmax.

Multilabel + PIT (not powerset): each local speaker gets an independent sigmoid, which is exactly the
`activity` the ONNX contract exposes, and overlap needs no extra classes. With K=3 the 6 permutations
are scored exhaustively; the best one also tells which reference speaker each slot's embedding is.
"""

from __future__ import annotations

import itertools

import torch
from torch import nn
from torch.nn import functional


def permutation_invariant_bce(
    activity: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean BCE under the best slot permutation, and that permutation `[B, K]` (slot i <- reference p[i])"""
    k = activity.shape[2]
    probabilities = activity.clamp(1e-6, 1 - 1e-6)
    frames = activity.shape[1]
    # cost[b, i, j]: BCE of slot i against reference speaker j, for all pairs at once.
    cost = (
        -(
            torch.bmm(torch.log(probabilities).transpose(1, 2), labels)
            + torch.bmm(torch.log1p(-probabilities).transpose(1, 2), 1 - labels)
        )
        / frames
    )
    permutations = torch.tensor(list(itertools.permutations(range(k))), device=activity.device)
    slots = torch.arange(k, device=activity.device)
    totals = cost[:, slots, permutations].sum(dim=2)  # [B, P]
    best = totals.argmin(dim=1)
    return totals.gather(1, best[:, None]).mean() / k, permutations[best]


def align(
    labels: torch.Tensor, speaker_ids: torch.Tensor, permutation: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reorder reference columns `[B, F, K]` and ids `[B, K]` so column i belongs to slot i."""
    aligned_labels = labels.gather(2, permutation[:, None, :].expand_as(labels))
    return aligned_labels, speaker_ids.gather(1, permutation)


class AdditiveMarginSoftmax(nn.Module):
    """CosFace: cross-entropy on scaled cosine similarities with a margin on the true class."""

    def __init__(
        self, embedding_dim: int, num_classes: int, margin: float = 0.2, scale: float = 30.0
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(num_classes, embedding_dim) * 0.01)
        self.margin, self.scale = margin, scale

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cosine = embeddings @ functional.normalize(self.weight, dim=1).T
        margins = functional.one_hot(targets, cosine.shape[1]) * self.margin
        return functional.cross_entropy(self.scale * (cosine - margins), targets)
