"""The fake API over loopback: the real response shape and every quirk the client must survive."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from voxrank.datasync.fakeapi.faults import Fault, FaultConfig, FaultInjector
from voxrank.datasync.fakeapi.server import FakeApiProcess
from voxrank.datasync.fakeapi.synthetic import SyntheticCatalog

CREDENTIALS = {"api_id": "any", "affiliate_id": "voxrank-990"}


@pytest.fixture(scope="module")
def fake():
    with FakeApiProcess(items=3000, offset_cap=500) as process:
        yield process


def _items(fake: FakeApiProcess, **params) -> httpx.Response:
    return httpx.get(
        f"{fake.base_url}/affiliate/v3/ItemList", params={**CREDENTIALS, "site": "FANZA", **params}
    )


def test_the_offset_cap_and_parameter_rules_answer_400_with_the_field(fake) -> None:
    for params, field in [
        ({"offset": 501}, "offset"),
        ({"hits": 101}, "hits"),
        ({"sort": "newest"}, "sort"),
        ({"site": "NOPE"}, "site"),
        ({"affiliate_id": "voxrank-123"}, "affiliate_id"),
        ({"gte_date": "2024-01-01"}, "gte_date"),
    ]:
        response = _items(fake, **params)
        assert response.status_code == 400
        assert response.json()["result"] == {
            "status": 400,
            "message": "BAD REQUEST",
            "errors": {field: "Invalid Request Error"},
        }
    assert _items(fake, offset=500, hits=1).status_code == 200


def test_an_empty_result_has_no_items_key(fake) -> None:
    result = _items(fake, gte_date="1999-01-01T00:00:00", lte_date="1999-12-31T23:59:59").json()["result"]
    assert result["result_count"] == 0 and result["total_count"] == 0
    assert "items" not in result


def test_date_filters_are_inclusive_and_items_sit_exactly_on_month_boundaries(fake) -> None:
    result = _items(fake, hits=100, sort="date", lte_date="2025-12-31T23:59:59").json()["result"]
    boundary = (
        next((item["date"] for item in result["items"] if item["date"].endswith("-01 00:00:00")), None)
        or "2025-12-01 00:00:00"
    )
    second = boundary.replace(" ", "T")
    exact = _items(fake, gte_date=second, lte_date=second, hits=100).json()["result"]
    before = _items(fake, lte_date=second, gte_date="2005-01-01T00:00:00", hits=1).json()["result"][
        "total_count"
    ]
    after = _items(fake, gte_date=second, hits=1).json()["result"]["total_count"]
    total = _items(fake, hits=1).json()["result"]["total_count"]
    assert exact["total_count"] >= 1
    assert all(item["date"] == boundary for item in exact["items"])
    assert before + after - exact["total_count"] == total


@pytest.mark.parametrize(
    ("sort", "key", "descending"),
    [("date", "date", True), ("price", "price", True), ("-price", "price", False)],
)
def test_sorts_order_pages(fake, sort, key, descending) -> None:
    items = _items(fake, sort=sort, hits=100, service="digital").json()["result"]["items"]

    def value(item: dict) -> object:
        if key == "price":
            return float(str(item["prices"]["price"]).rstrip("~"))
        return item[key]

    values = [value(item) for item in items]
    assert values == sorted(values, reverse=descending)


def test_items_carry_the_documented_quirks(fake) -> None:
    items = []
    for offset in range(1, 501, 100):
        items.extend(_items(fake, hits=100, offset=offset, sort="date").json()["result"]["items"])
    prices = [item["prices"]["price"] for item in items]
    assert any(isinstance(price, str) and price.endswith("~") for price in prices)
    assert any(price == 0 for price in prices)
    assert any("review" not in item for item in items)
    assert all(isinstance(item["review"]["average"], str) for item in items if "review" in item)
    assert any(item["iteminfo"]["maker"][0]["id"] == "other" for item in items)
    assert any(isinstance(item["iteminfo"]["genre"][0]["id"], int) for item in items)
    assert any("sampleMovieURL" not in item for item in items)
    assert any(any("\u3040" <= ch <= "\u9fff" for ch in item.get("title", "")) for item in items)


def test_search_apis_return_status_and_counts_as_strings(fake) -> None:
    response = httpx.get(
        f"{fake.base_url}/affiliate/v3/GenreSearch", params={**CREDENTIALS, "floor_id": "43", "hits": 10}
    )
    result = response.json()["result"]
    assert result["status"] == "200" and result["total_count"] == "60"
    assert len(result["genre"]) == 10 and {"genre_id", "name"} <= set(result["genre"][0])


def test_the_catalog_is_deterministic_and_fast_to_build() -> None:
    first, second = SyntheticCatalog(5000, seed=7), SyntheticCatalog(5000, seed=7)
    assert [first.item(i) for i in range(0, 5000, 97)] == [second.item(i) for i in range(0, 5000, 97)]
    assert SyntheticCatalog(5000, seed=8).item(10) != first.item(10)
    ids = [first.content_id(i) for i in range(5000)]
    assert len(set(ids)) == len(ids)


def test_fault_rates_are_honoured() -> None:
    injector = FaultInjector(FaultConfig.spread(0.2), seed=1)
    counts = Counter(injector.next_fault() for _ in range(20000))
    assert 0.18 < 1 - counts[Fault.NONE] / 20000 < 0.22
    assert all(counts[fault] > 800 for fault in Fault if fault is not Fault.NONE)
