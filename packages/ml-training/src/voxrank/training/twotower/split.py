"""Time-based split: train on everything before a cutoff, predict each user's new items after it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from voxrank.serving.recommend.interactions import group_by_user
from voxrank.serving.recommend.items import Interaction, ItemRecord, UserHistory


@dataclass
class TimeSplit:
    catalog: list[ItemRecord]
    cutoff: datetime
    train: list[Interaction]
    histories: dict[str, UserHistory]
    """Every user's interactions before the cutoff (the only input any recommender gets)."""
    targets: dict[str, set[str]]
    """Per test user, the items first interacted with after the cutoff (never seen before it)."""
    dropped_unknown_items: int

    @property
    def test_users(self) -> list[str]:
        return sorted(self.targets)


def time_split(
    catalog: Sequence[ItemRecord], interactions: Sequence[Interaction], test_fraction: float
) -> TimeSplit:
    """Cut at the time that leaves the last `test_fraction` of interactions (by time) for testing."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    known = {item.item_id for item in catalog}
    usable = sorted(
        (event for event in interactions if event.item_id in known), key=lambda event: event.timestamp
    )
    if len(usable) < 2:
        raise ValueError("fewer than two interactions refer to catalog items: nothing to split")
    cutoff = usable[min(len(usable) - 1, int(len(usable) * (1 - test_fraction)))].timestamp
    train = [event for event in usable if event.timestamp < cutoff]
    histories = group_by_user(train)
    targets: dict[str, set[str]] = {}
    for event in usable:
        if event.timestamp >= cutoff and event.user_id in histories:
            seen = histories[event.user_id].item_ids
            if event.item_id not in seen:
                targets.setdefault(event.user_id, set()).add(event.item_id)
    return TimeSplit(list(catalog), cutoff, train, histories, targets, len(interactions) - len(usable))
