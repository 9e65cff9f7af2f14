"""Each item's JSON rendered once, so that serving a page is a join of bytes.

Building an item's object from the numpy columns and encoding it was about half of the fake API's CPU
per ItemList request; a benchmark that measures the client should not be limited by the fake server.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from voxrank.datasync.fakeapi.synthetic import SyntheticCatalog


def to_json_bytes(value: Any) -> bytes:
    """Compact JSON with non-ASCII text as is, as the real API sends it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class RenderedItems:
    """JSON bytes per catalog index, rendered on first use; `forget` the items a mutation changed."""

    def __init__(self, catalog: SyntheticCatalog) -> None:
        self.catalog = catalog
        self._rendered: dict[int, bytes] = {}

    def __getitem__(self, index: int) -> bytes:
        rendered = self._rendered.get(index)
        if rendered is None:
            rendered = self._rendered[index] = to_json_bytes(self.catalog.item(index))
        return rendered

    def render_all(self) -> None:
        for index in range(len(self.catalog)):
            self[index]

    def forget(self, indices: Iterable[int]) -> None:
        for index in indices:
            self._rendered.pop(index, None)
