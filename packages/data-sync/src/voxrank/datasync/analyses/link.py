"""`link`: group the same work across services and floors (a download and its DVD, say).

Two items are the same work when their normalised content or product ids agree ("abc00123",
"abc123" and "abc123dvd" all become "abc-123"), or when their normalised titles agree and their ids
share the label prefix. Precision and recall are measured on a labelled synthetic catalog.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from sqlalchemy import Engine, select

from voxrank.datasync.analyses.output import Analysis, markdown_table
from voxrank.datasync.fakeapi.synthetic import SyntheticCatalog
from voxrank.datasync.storage import schema

_ID = re.compile(r"^(?:h_\d+)?\d*([a-z]+)0*(\d+)")
_TAGS = re.compile(r"【[^】]*】|\[[^\]]*\]|\((?:dvd|blu-ray|ブルーレイ)\)", re.IGNORECASE)
_NOT_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class LinkRecord:
    content_id: str
    product_id: str | None
    title: str | None


def id_key(identifier: str | None) -> str | None:
    """'abc00123' / 'abc123' / 'abc123dvd' / 'h_1234abc00123' -> 'abc-123'."""
    if not identifier:
        return None
    match = _ID.match(identifier.lower())
    return f"{match.group(1)}-{int(match.group(2))}" if match else None


def title_key(title: str | None) -> str | None:
    if not title:
        return None
    text = _TAGS.sub("", unicodedata.normalize("NFKC", title)).casefold()
    return _NOT_WORD.sub("", text) or None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)


def link(records: Iterable[LinkRecord]) -> list[list[str]]:
    """Groups of content_ids judged to be the same work (singletons included)."""
    found = _UnionFind()
    by_key: dict[tuple[str, str], str] = {}
    for record in records:
        found.find(record.content_id)
        keys = {id_key(record.content_id), id_key(record.product_id)} - {None}
        title = title_key(record.title)
        prefixes = {key.split("-")[0] for key in keys if key}
        candidates = [("id", key) for key in keys if key]
        candidates += [("title", f"{prefix}:{title}") for prefix in prefixes if title]
        for candidate in candidates:
            if candidate in by_key:
                found.union(record.content_id, by_key[candidate])
            else:
                by_key[candidate] = record.content_id
    groups: dict[str, list[str]] = defaultdict(list)
    for content_id in found.parent:
        groups[found.find(content_id)].append(content_id)
    return [sorted(group) for group in groups.values()]


def _pairs(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    return {pair for group in groups for pair in combinations(sorted(group), 2)}


def evaluate(items: int = 20_000, seed: int = 1) -> dict[str, Any]:
    """Pairwise precision and recall of `link` on a synthetic catalog whose works are known."""
    catalog = SyntheticCatalog(items, seed)
    records = [
        LinkRecord(catalog.content_id(i), catalog.product_id(i), catalog.title(i)) for i in range(items)
    ]
    truth: dict[int, list[str]] = defaultdict(list)
    for index in range(items):
        truth[catalog.work_id(index)].append(catalog.content_id(index))
    predicted, expected = _pairs(link(records)), _pairs(truth.values())
    correct = len(predicted & expected)
    return {
        "labelled_items": items,
        "true_pairs": len(expected),
        "predicted_pairs": len(predicted),
        "precision": round(correct / len(predicted), 4) if predicted else 1.0,
        "recall": round(correct / len(expected), 4) if expected else 1.0,
    }


def database_records(engine: Engine) -> list[LinkRecord]:
    items = schema.items
    with engine.connect() as connection:
        rows = connection.execute(select(items.c.content_id, items.c.product_id, items.c.title))
        return [LinkRecord(*row) for row in rows]


def build_link(engine: Engine, labelled_items: int = 20_000) -> Analysis:
    groups = [group for group in link(database_records(engine)) if len(group) > 1]
    sizes = Counter(len(group) for group in groups)
    evaluation = evaluate(labelled_items)
    data = {
        "groups": len(groups),
        "items_in_groups": sum(len(group) for group in groups),
        "group_sizes": dict(sorted(sizes.items())),
        "examples": groups[:20],
        "evaluation": evaluation,
    }
    markdown = "# Linking the same work across services and floors\n\n"
    markdown += f"{data['groups']} groups hold {data['items_in_groups']} items.\n\n"
    markdown += markdown_table(
        ["group size", "groups"], [[size, count] for size, count in sorted(sizes.items())]
    )
    markdown += "\n## Evaluation on a labelled synthetic catalog\n\n"
    markdown += markdown_table(["measure", "value"], [[key, value] for key, value in evaluation.items()])
    markdown += "\n## Examples\n\n" + "\n".join(f"- {', '.join(group)}" for group in groups[:20]) + "\n"
    return Analysis("link", data, markdown)
