"""Sampled softmax over in-batch negatives with logQ correction, accidental-hit masking and hard negatives.

In-batch negatives are sampled in proportion to item frequency, which over-penalises popular items;
subtracting log q(item) from every logit (Yi et al., RecSys 2019) makes the loss an unbiased estimate of
the full softmax. An item that appears twice in a batch would be its own negative: those logits are
masked. Hard negatives are the highest-scoring items of an extra, uniformly sampled pool.
"""

from __future__ import annotations

import torch
from torch.nn import functional

MASKED = -1e9


def in_batch_softmax_loss(
    users: torch.Tensor,
    items: torch.Tensor,
    item_keys: torch.Tensor,
    *,
    item_log_q: torch.Tensor | None,
    temperature: float,
    pool: torch.Tensor | None = None,
    pool_keys: torch.Tensor | None = None,
    hard_negatives: int = 0,
) -> torch.Tensor:
    """Cross-entropy of each user against its own item among the batch's items (and hard negatives).

    users, items: [B, D] normalised embeddings where row i of `items` is user i's positive;
    item_keys: [B] catalog ids of those items; item_log_q: [B] log sampling probabilities or None.
    pool, pool_keys: [P, D] and [P] extra candidates from which `hard_negatives` per user are taken.
    """
    logits = users @ items.T / temperature
    if item_log_q is not None:
        logits = logits - item_log_q.unsqueeze(0)
    duplicate = item_keys.unsqueeze(0) == item_keys.unsqueeze(1)
    accidental = duplicate & ~torch.eye(len(item_keys), dtype=torch.bool, device=logits.device)
    logits = logits.masked_fill(accidental, MASKED)
    if hard_negatives > 0 and pool is not None and pool_keys is not None:
        pool_logits = (users @ pool.T / temperature).masked_fill(
            pool_keys.unsqueeze(0) == item_keys.unsqueeze(1), MASKED
        )
        hardest = pool_logits.topk(min(hard_negatives, pool_logits.shape[1]), dim=1).values
        logits = torch.cat([logits, hardest], dim=1)
    targets = torch.arange(len(item_keys), device=logits.device)
    return functional.cross_entropy(logits, targets)
