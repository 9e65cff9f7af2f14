"""Time split and ranking metrics on hand-built cases with known answers; the simulator's contract."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from voxrank.serving.recommend.items import Interaction
from voxrank.training.twotower.metrics import ndcg_at, ranking_report, recall_at
from voxrank.training.twotower.simulate import SimulationConfig, simulate_interactions
from voxrank.training.twotower.split import time_split

from .conftest import synthetic_catalog


def test_recall_and_ndcg_known_values() -> None:
    assert recall_at(["a", "b", "c"], {"b", "z"}, 2) == 0.5
    assert ndcg_at(["a", "b"], {"b"}, 10) == pytest.approx(1 / math.log2(3))
    assert ndcg_at(["b", "z"], {"b", "z"}, 10) == pytest.approx(1.0)
    report = ranking_report(
        {"u": ["a", "b"], "v": ["a", "c"]}, {"u": {"b"}, "v": {"x"}}, [1, 2], catalog_size=4
    )
    assert report["recall@1"] == 0.0 and report["recall@2"] == 0.5
    assert report["coverage@10"] == 0.75


def test_time_split_targets_only_new_items_of_known_users() -> None:
    catalog = synthetic_catalog(5)
    day = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        Interaction("a", "c0000", day),
        Interaction("a", "c0001", day + timedelta(days=1)),
        Interaction("b", "c0002", day + timedelta(days=2)),
        Interaction("a", "c0001", day + timedelta(days=8)),  # repeat: not a target
        Interaction("a", "c0003", day + timedelta(days=9)),
        Interaction("c", "c0004", day + timedelta(days=9)),  # user unknown before the cutoff
        Interaction("a", "gone", day + timedelta(days=9)),  # not in the catalog
    ]
    split = time_split(catalog, events, test_fraction=0.5)
    assert split.cutoff == day + timedelta(days=8)
    assert split.targets == {"a": {"c0003"}}
    assert split.histories["a"].item_ids == ["c0000", "c0001"]
    assert split.dropped_unknown_items == 1
    with pytest.raises(ValueError, match="test_fraction"):
        time_split(catalog, events, test_fraction=1.0)


def test_simulated_users_prefer_items_that_share_metadata() -> None:
    catalog = synthetic_catalog(120)
    config = SimulationConfig(users=200, mean_interactions=15, seed=1)
    events = simulate_interactions(catalog, config)
    assert events == simulate_interactions(catalog, config)
    assert [event.timestamp for event in events] == sorted(event.timestamp for event in events)
    genre = {item.item_id: item.genre_ids[0] for item in catalog}
    by_user: dict[str, list[str]] = {}
    for event in events:
        by_user.setdefault(event.user_id, []).append(genre[event.item_id])
    # Share of a user's interactions in their most frequent genre, against 1/6 for random choice.
    concentration = sum(max(map(items.count, set(items))) / len(items) for items in by_user.values()) / len(
        by_user
    )
    assert concentration > 0.35
