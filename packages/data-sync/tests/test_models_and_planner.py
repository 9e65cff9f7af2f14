"""Response models accept every quirk; the planner's windows cover the range without sharing a second."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from itertools import pairwise

import pytest

from voxrank.datasync.client import DmmClient
from voxrank.datasync.errors import PlanningError
from voxrank.datasync.fakeapi.server import FakeApiProcess
from voxrank.datasync.models import Item, ItemListResult, parse_price, validate_items
from voxrank.datasync.planner import Scope, plan_windows, split


def test_item_accepts_string_number_drift_and_omitted_keys() -> None:
    item = Item.model_validate(
        {
            "content_id": "abc001",
            "review": {"count": "12", "average": "4.20"},
            "prices": {"price": "300~", "deliveries": {"delivery": [{"type": "hd", "price": 500}]}},
            "date": "2023-10-01 00:00:00",
            "iteminfo": {"maker": [{"id": "other", "name": "x"}], "genre": [{"id": 6533, "name": "g"}]},
        }
    )
    assert item.title is None and item.url is None
    assert item.review == {"count": 12, "average": 4.2}
    assert item.prices == {"price": "300~", "deliveries": {"delivery": [{"type": "hd", "price": 500}]}}
    assert item.iteminfo["maker"][0]["id"] == "other" and item.iteminfo["genre"][0]["id"] == "6533"
    assert item.date == datetime(2023, 10, 1)


def test_an_empty_result_without_items_and_string_counts_parses() -> None:
    result = ItemListResult.model_validate({"status": "200", "result_count": "0", "total_count": "0"})
    assert result.items == [] and result.status == 200


@pytest.mark.parametrize(
    ("raw", "price"), [("300~", 300.0), ("1,980", 1980.0), (0, 0.0), ("", None), (None, None), ("open", None)]
)
def test_parse_price(raw, price) -> None:
    assert parse_price(raw) == price


def test_validate_items_quarantines_bad_records_and_keeps_the_last_duplicate() -> None:
    accepted, rejected = validate_items(
        [
            {"content_id": "a", "title": "old"},
            {"content_id": "a", "title": "new"},
            {"content_id": "b", "date": "2023-13-45 99:99:99"},
            {"title": "no id"},
            "not an object",
        ]
    )
    assert [(item.content_id, item.title) for item, _ in accepted] == [("a", "new")]
    assert [record.content_id for record in rejected] == ["b", None, None]
    assert "date" in rejected[0].reason and "content_id" in rejected[1].reason


def test_split_halves_share_no_second() -> None:
    (a_start, a_end), (b_start, b_end) = split(datetime(2024, 1, 1), datetime(2024, 1, 1, 0, 0, 9))
    assert a_start == datetime(2024, 1, 1) and b_end == datetime(2024, 1, 1, 0, 0, 9)
    assert b_start - a_end == timedelta(seconds=1)


@pytest.fixture(scope="module")
def fake():
    with FakeApiProcess(items=3000, offset_cap=250) as process:
        yield process


def _plan(fake: FakeApiProcess, cap: int, lower=datetime(1990, 1, 1), upper=datetime(2026, 1, 1)):
    async def plan():
        async with DmmClient(
            "id", "voxrank-990", base_url=f"{fake.base_url}/affiliate/v3", rate_limit=1000
        ) as client:
            return await plan_windows(client, Scope("FANZA"), lower, upper, cap)

    return asyncio.run(plan())


def test_plan_windows_stay_under_the_cap_and_cover_every_item_once(fake) -> None:
    windows = _plan(fake, 250)
    total = sum(1 for row in fake.snapshot().values() if row["site"] == "FANZA")
    assert all(0 < window.total <= 250 for window in windows)
    assert sum(window.total for window in windows) == total
    assert all(later.gte > earlier.lte for earlier, later in pairwise(windows))


def test_a_second_holding_more_items_than_the_cap_is_a_planning_error(fake) -> None:
    seconds = Counter(row["release_date"] for row in fake.snapshot().values() if row["site"] == "FANZA")
    crowded = datetime.fromisoformat(next(second for second, count in seconds.items() if count >= 2))
    with pytest.raises(PlanningError, match="share the release second"):
        _plan(fake, 1, lower=crowded - timedelta(seconds=1), upper=crowded + timedelta(seconds=1))
