"""Interaction logs in CSV and Parquet, and the errors for logs that cannot be read."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from voxrank.serving.recommend.interactions import InteractionDataError, group_by_user, read_interactions

ROWS = [
    ("u1", "i2", "2024-01-02T10:00:00", "2.5"),
    ("u1", "i1", "2024-01-01T10:00:00", ""),
    ("u2", "i1", "1704103200", "1"),
]


def _csv(path: Path, header: str = "user_id,item_id,timestamp,weight") -> Path:
    lines = [header, *(",".join(row) for row in ROWS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_log_is_read_and_grouped_oldest_first(tmp_path: Path) -> None:
    events = read_interactions(_csv(tmp_path / "log.csv"))
    assert [event.weight for event in events] == [2.5, 1.0, 1.0]
    assert events[2].timestamp == datetime(2024, 1, 1, 10, tzinfo=UTC)
    histories = group_by_user(events)
    assert histories["u1"].item_ids == ["i1", "i2"]
    assert histories["u2"].item_ids == ["i1"]


def test_parquet_log_gives_the_same_interactions(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.table(
        {
            "user_id": [row[0] for row in ROWS],
            "item_id": [row[1] for row in ROWS],
            "timestamp": [row[2] for row in ROWS],
            "weight": [float(row[3]) if row[3] else None for row in ROWS],
        }
    )
    pq.write_table(table, tmp_path / "log.parquet")
    assert read_interactions(tmp_path / "log.parquet") == read_interactions(_csv(tmp_path / "log.csv"))


def test_unreadable_logs_say_why(tmp_path: Path) -> None:
    with pytest.raises(InteractionDataError, match="does not exist"):
        read_interactions(tmp_path / "missing.csv")
    with pytest.raises(InteractionDataError, match="lacks the column"):
        read_interactions(_csv(tmp_path / "bad.csv", header="user,item_id,timestamp,weight"))
    (tmp_path / "log.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InteractionDataError, match="unsupported format"):
        read_interactions(tmp_path / "log.json")
    bad = tmp_path / "bad_time.csv"
    bad.write_text("user_id,item_id,timestamp\nu1,i1,yesterday\n", encoding="utf-8")
    with pytest.raises(InteractionDataError, match=r"bad_time.csv:2"):
        read_interactions(bad)
