from datetime import datetime

import pytest

from voxrank.datasync.catalog import CatalogItem, count_items, iter_items
from voxrank.datasync.storage.database import open_database


def _raw_item(number: int) -> dict:
    return {
        "content_id": f"abc{number:05d}",
        "product_id": f"abc{number:05d}dl",
        "title": f"Title {number}",
        "service_code": "digital",
        "floor_code": "videoa",
        "date": f"2023-10-{number % 28 + 1:02d} 10:00:00",
        "prices": {"price": f"{number * 10}~", "list_price": str(number * 20)},
        "iteminfo": {
            "genre": [{"id": 10 + number % 3, "name": "g"}, {"id": 99, "name": "common"}],
            "maker": [{"id": "other" if number % 2 else 7, "name": "m"}],
            "actress": [{"id": 1000 + number, "name": "a", "ruby": "r"}],
            "director": [{"id": 5, "name": "d"}],
        },
        **({"review": {"count": number, "average": "4.50"}} if number % 2 == 0 else {}),
    }


def test_iter_items_returns_every_item_with_its_features_in_batches(tmp_path, write_page) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    engine = open_database(url)
    write_page(engine, [_raw_item(n) for n in range(1, 8)])
    engine.dispose()

    batches = list(iter_items(url, batch_size=3))

    assert [len(batch) for batch in batches] == [3, 3, 1]
    items = {item.content_id: item for batch in batches for item in batch}
    assert count_items(url) == 7 == len(items)
    second = items["abc00002"]
    assert isinstance(second, CatalogItem)
    assert second.genre_ids == ("12", "99")
    assert second.maker_ids == ("7",)
    assert items["abc00003"].maker_ids == ("other",)
    assert second.actress_ids == ("1002",)
    assert second.director_ids == ("5",)
    assert second.actor_ids == ()
    assert second.price == 20.0 and second.list_price == 40.0
    assert second.review_count == 2 and second.review_average == pytest.approx(4.5)
    assert items["abc00003"].review_count == 0 and items["abc00003"].review_average is None
    assert second.release_date == datetime(2023, 10, 3, 10, 0)


def test_iter_items_rejects_a_zero_batch_size(tmp_path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        next(iter_items(f"sqlite:///{tmp_path / 'c.db'}", batch_size=0))
