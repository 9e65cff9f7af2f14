"""Feature preprocessing: stable hashing, Japanese titles, padding, dense statistics, manifest round trip."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from voxrank.serving.recommend.features import (
    DENSE_FEATURES,
    FeatureSpec,
    encode_histories,
    encode_items,
    item_id_token,
    title_ngrams,
)
from voxrank.serving.recommend.items import (
    Interaction,
    ItemRecord,
    UserHistory,
    iter_item_lines,
    synthetic_items,
    write_item_lines,
)

SPEC = FeatureSpec(
    token_buckets=4096, item_buckets=4096, max_title_tokens=16, max_bag_tokens=4, max_history=3
)


def _item(item_id: str = "abc001", **fields: object) -> ItemRecord:
    return ItemRecord(item_id=item_id, **fields)  # type: ignore[arg-type]


def test_japanese_and_full_width_titles_become_character_ngrams() -> None:
    grams = title_ngrams("夏の旅　ＳＵＭＭＥＲ", (1, 2))
    assert "1:夏" in grams and "2:夏の" in grams
    # NFKC folds full-width Latin and the ideographic space, so both spellings share tokens.
    assert grams == title_ngrams("夏の旅 summer", (1, 2))
    assert not any(gram.endswith(" ") and len(gram) == 3 for gram in grams)


def test_hashes_are_stable_across_processes() -> None:
    code = (
        "from voxrank.serving.recommend.features import FeatureSpec, item_id_token;"
        "print(item_id_token('abc001', FeatureSpec()))"
    )
    other_process = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert int(other_process.stdout) == item_id_token("abc001", FeatureSpec())
    assert 1 <= item_id_token("abc001", SPEC) < SPEC.item_buckets


def test_item_encoding_layout_and_padding() -> None:
    items = [
        _item(
            "a",
            title="長いタイトル long title with many characters",
            genre_ids=("g1", "g2"),
            people_ids=("p1",),
        ),
        _item("b"),
    ]
    encoded = encode_items(items, SPEC)
    assert encoded["item_tokens"].shape == (2, SPEC.item_token_width)
    assert encoded["item_dense"].shape == (2, len(DENSE_FEATURES))
    assert (encoded["item_tokens"][0, : SPEC.max_title_tokens] > 0).all()  # truncated, fully used
    assert (encoded["item_tokens"][0, SPEC.max_title_tokens : SPEC.max_title_tokens + 3] > 0).all()
    assert (encoded["item_tokens"][0, SPEC.max_title_tokens + 3 :] == 0).all()
    assert (encoded["item_tokens"][1] == 0).all()
    missing = dict(zip(DENSE_FEATURES, encoded["item_dense"][1], strict=True))
    assert missing["price_missing"] == 1.0 and missing["release_missing"] == 1.0
    # The same genre id in another field hashes elsewhere: fields are salted.
    genre = encode_items([_item("c", genre_ids=("7",))], SPEC)["item_tokens"][0, SPEC.max_title_tokens]
    maker = encode_items([_item("c", maker_ids=("7",))], SPEC)["item_tokens"][0, SPEC.max_title_tokens]
    assert genre != maker


def test_dense_statistics_are_fitted_and_travel_in_the_manifest() -> None:
    items = [
        _item(
            str(i),
            price=float(100 * (i + 1)),
            review_count=i,
            release_date=datetime(2010 + i, 1, 1, tzinfo=UTC),
        )
        for i in range(10)
    ]
    fitted = SPEC.fitted(items)
    dense = encode_items(items, fitted)["item_dense"]
    columns = dict(zip(DENSE_FEATURES, dense.T, strict=True))
    assert abs(columns["log_price"].mean()) < 1e-5 and abs(columns["log_price"].std() - 1) < 1e-4
    assert abs(columns["release_year"].mean()) < 1e-4
    restored = FeatureSpec.from_manifest(fitted.to_manifest())
    assert restored == fitted
    assert np.array_equal(encode_items(items, restored)["item_dense"], dense)


def test_history_keeps_the_most_recent_items_first_with_decayed_weights() -> None:
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    events = [Interaction("u", f"i{n}", moment, weight=2.0 if n == 3 else 1.0) for n in range(5)]
    encoded = encode_histories([UserHistory("u", events), UserHistory("v", events[:1])], SPEC)
    expected = [item_id_token(f"i{n}", SPEC) for n in (4, 3, 2)]
    assert encoded["history_ids"][0].tolist() == expected
    assert np.allclose(encoded["history_weights"][0], [1.0, 2.0 * SPEC.history_decay, SPEC.history_decay**2])
    assert encoded["history_ids"][1].tolist() == [item_id_token("i0", SPEC), 0, 0]
    assert encoded["history_weights"][1].tolist() == [1.0, 0.0, 0.0]


def test_catalog_items_of_contract_7_are_adapted() -> None:
    class CatalogItem:
        content_id = "x1"
        title = None
        genre_ids = ("1",)
        maker_ids = ()
        series_ids = ()
        label_ids = ()
        actress_ids = ("a",)
        actor_ids = ()
        director_ids = ("d",)
        author_ids = ()
        price = 980.0
        review_count = 3
        review_average = 4.5
        release_date = None

    record = ItemRecord.from_catalog(CatalogItem())
    assert record.title == "" and record.people_ids == ("a", "d") and record.price == 980.0


def test_item_lines_written_are_read_back_unchanged(tmp_path: Path) -> None:
    items = [
        *synthetic_items(3),
        ItemRecord("r1", "夏の作品", people_ids=("p1", "p2"), release_date=datetime(2024, 5, 1, tzinfo=UTC)),
    ]
    path = tmp_path / "items.jsonl"

    write_item_lines(items, path)

    assert [item for batch in iter_item_lines(path, 2) for item in batch] == items
