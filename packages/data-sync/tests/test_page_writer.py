"""Rewriting a page replaces the rows of changed items and leaves those of unchanged items in place."""

from __future__ import annotations

import copy

from sqlalchemy import Engine, select, text

from voxrank.datasync.storage import schema
from voxrank.datasync.storage.database import open_database


def _raw_item(content_id: str, genres: list[int], review_count: int | None) -> dict:
    return {
        "content_id": content_id,
        "title": f"Title {content_id}",
        "date": "2023-10-01 10:00:00",
        "prices": {"price": "500", "deliveries": {"delivery": [{"type": "hd", "price": "700"}]}},
        "iteminfo": {
            "genre": [{"id": genre, "name": f"genre {genre}"} for genre in genres],
            "actress": [{"id": 1000, "name": "a", "ruby": "r"}],
        },
        **({"review": {"count": review_count, "average": "4.50"}} if review_count is not None else {}),
    }


def _genre_links(engine: Engine) -> dict[tuple[str, str], int]:
    """(content_id, genre_id) -> SQLite rowid: a deleted and re-inserted row gets a new rowid."""
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT content_id, genre_id, rowid FROM item_genres"))
        return {(content_id, genre_id): rowid for content_id, genre_id, rowid in rows}


def test_a_changed_item_has_its_rows_replaced_and_an_unchanged_item_keeps_them(tmp_path, write_page) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'catalog.db'}")
    unchanged, changed = _raw_item("zzz001", [1, 2], 3), _raw_item("bbb002", [1, 3], 5)
    write_page(engine, [unchanged, changed])
    before = _genre_links(engine)

    changed_again = copy.deepcopy(changed)
    changed_again["iteminfo"]["genre"] = [{"id": 4, "name": "genre 4"}]
    del changed_again["review"]
    changed_again["prices"]["deliveries"]["delivery"][0]["price"] = "900"
    write_page(engine, [unchanged, changed_again])
    after = _genre_links(engine)

    assert {key: rowid for key, rowid in after.items() if key[0] == "zzz001"} == {
        key: rowid for key, rowid in before.items() if key[0] == "zzz001"
    }, "the unchanged item's links were rewritten"
    assert {key for key in after if key[0] == "bbb002"} == {("bbb002", "4")}
    reviews, prices = schema.review_summaries, schema.prices
    with engine.connect() as connection:
        review_counts = dict(connection.execute(select(reviews.c.content_id, reviews.c.review_count)).all())
        delivery_prices = dict(connection.execute(select(prices.c.content_id, prices.c.price)).all())
    assert review_counts == {"zzz001": 3}, "the changed item's review summary must be gone"
    assert delivery_prices == {"zzz001": 700.0, "bbb002": 900.0}
    engine.dispose()


def test_rewriting_an_unchanged_page_keeps_its_rows_and_refreshes_the_items(tmp_path, write_page) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'catalog.db'}")
    page = [_raw_item("zzz001", [1, 2], 3), _raw_item("bbb002", [1, 3], None)]
    write_page(engine, page)
    links_before = _genre_links(engine)
    with engine.connect() as connection:
        fetched_before = connection.execute(select(schema.items.c.fetched_at)).scalars().all()

    write_page(engine, page)

    assert _genre_links(engine) == links_before
    with engine.connect() as connection:
        fetched_after = connection.execute(select(schema.items.c.fetched_at)).scalars().all()
        people = connection.execute(select(schema.item_people.c.content_id)).scalars().all()
    assert min(fetched_after) >= max(fetched_before) and len(fetched_after) == 2
    assert sorted(people) == ["bbb002", "zzz001"]
    engine.dispose()
