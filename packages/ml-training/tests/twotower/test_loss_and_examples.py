"""The contrastive loss's corrections and the training examples' relation to serving's features."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import torch
from torch.nn import functional

from voxrank.serving.recommend.features import FeatureSpec, encode_histories
from voxrank.serving.recommend.items import Interaction, UserHistory
from voxrank.training.twotower.examples import ExampleSet
from voxrank.training.twotower.loss import in_batch_softmax_loss

from .conftest import synthetic_catalog


def _unit(rows: int, seed: int) -> torch.Tensor:
    return functional.normalize(torch.randn(rows, 8, generator=torch.Generator().manual_seed(seed)), dim=-1)


def test_loss_is_cross_entropy_over_the_batch() -> None:
    users, items = _unit(4, 0), _unit(4, 1)
    loss = in_batch_softmax_loss(users, items, torch.arange(4), item_log_q=None, temperature=0.5)
    expected = functional.cross_entropy(users @ items.T / 0.5, torch.arange(4))
    assert torch.isclose(loss, expected)


def test_log_q_correction_subtracts_the_log_sampling_probability() -> None:
    users, items = _unit(3, 2), _unit(3, 3)
    log_q = torch.log(torch.tensor([0.5, 0.25, 0.25]))
    loss = in_batch_softmax_loss(users, items, torch.arange(3), item_log_q=log_q, temperature=1.0)
    expected = functional.cross_entropy(users @ items.T - log_q[None, :], torch.arange(3))
    assert torch.isclose(loss, expected)


def test_accidental_hits_are_not_negatives() -> None:
    users, items = _unit(3, 4), _unit(3, 5)
    items[2] = items[0]  # the same catalog item is the positive of rows 0 and 2
    keys = torch.tensor([7, 8, 7])
    loss = in_batch_softmax_loss(users, items, keys, item_log_q=None, temperature=1.0)
    logits = users @ items.T
    rows = [
        -logits[0, 0] + torch.logsumexp(logits[0, [0, 1]], 0),
        -logits[1, 1] + torch.logsumexp(logits[1], 0),
        -logits[2, 2] + torch.logsumexp(logits[2, [1, 2]], 0),
    ]
    assert torch.isclose(loss, torch.stack(rows).mean())


def test_hard_negatives_add_the_hardest_pool_items_only() -> None:
    users, items, pool = _unit(2, 6), _unit(2, 7), _unit(5, 8)
    keys, pool_keys = torch.tensor([0, 1]), torch.tensor([0, 2, 3, 4, 5])
    easy = in_batch_softmax_loss(users, items, keys, item_log_q=None, temperature=1.0)
    hard = in_batch_softmax_loss(
        users, items, keys, item_log_q=None, temperature=1.0, pool=pool, pool_keys=pool_keys, hard_negatives=2
    )
    assert hard > easy
    pool_logits = (users @ pool.T).masked_fill(pool_keys[None, :] == keys[:, None], -1e9)
    logits = torch.cat([users @ items.T, pool_logits.topk(2, dim=1).values], dim=1)
    assert torch.isclose(hard, functional.cross_entropy(logits, torch.arange(2)))


def test_examples_are_first_interactions_with_an_earlier_history() -> None:
    catalog = synthetic_catalog(10)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        Interaction("u", "c0001", start),
        Interaction("u", "c0002", start),  # same basket as c0001: no history of its own
        Interaction("u", "c0003", start + timedelta(days=1)),
        Interaction("u", "c0001", start + timedelta(days=2)),  # a repeat: not a target
        Interaction("u", "unknown", start + timedelta(days=3)),  # not in the catalog
        Interaction("u", "c0004", start + timedelta(days=4)),
    ]
    spec = FeatureSpec(token_buckets=256, item_buckets=256, max_history=3)
    examples = ExampleSet(catalog, {"u": UserHistory("u", events)}, spec)
    assert [(example.history_end, catalog[example.item_index].item_id) for example in examples.examples] == [
        (2, "c0003"),
        (5, "c0004"),
    ]
    users, items, indices = examples.batch([0, 1])
    expected = encode_histories([UserHistory("u", events[:2]), UserHistory("u", events[:5])], spec)
    for name, values in expected.items():
        assert np.array_equal(users[name], values), name
    assert items["item_ids"].shape == (2,) and indices.tolist() == [3, 4]
    counts = np.exp(examples.item_log_q[[3, 4]]) * len(examples)
    assert np.allclose(counts, [1, 1]) and math.isclose(float(np.exp(examples.item_log_q).max()), 0.5)


def test_vectorised_histories_equal_serving_encoding_on_random_logs() -> None:
    rng = np.random.default_rng(0)
    catalog = synthetic_catalog(30)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    histories = {
        f"u{user}": UserHistory(
            f"u{user}",
            [
                Interaction(
                    f"u{user}",
                    f"c{rng.integers(0, 30):04d}",
                    start + timedelta(hours=int(hour)),
                    float(rng.uniform(0, 3)),
                )
                for hour in sorted(rng.integers(0, 500, size=int(rng.integers(2, 40))))
            ],
        )
        for user in range(20)
    }
    spec = FeatureSpec(token_buckets=256, item_buckets=256, max_history=7, history_decay=0.9)
    examples = ExampleSet(catalog, histories, spec)
    flat_users = {
        start_: history for start_, history in zip(examples._user_starts, histories.values(), strict=True)
    }
    chosen = list(range(len(examples)))
    users, _, _ = examples.batch(chosen)
    reference = encode_histories(
        [
            UserHistory(
                "x",
                flat_users[examples.examples[index].user_start].interactions[
                    : examples.examples[index].history_end
                ],
            )
            for index in chosen
        ],
        spec,
    )
    for name, values in reference.items():
        assert np.array_equal(users[name], values), name
