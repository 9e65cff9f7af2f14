"""The UCI Online Retail data set as a catalog and an interaction log (the two-tower's real benchmark).

Customers are users, stock codes are items (title = description, price = median unit price, series = the
numeric stem of the stock code, release date = first sale). Cancellations, adjustments, lines without a
customer and non-product codes (postage, fees, manual corrections) are left out.
"""

from __future__ import annotations

import csv
import gzip
import os
import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from voxrank.serving.recommend.items import Interaction, ItemRecord

FILE_NAME = "online_retail.csv.gz"
_PRODUCT_CODE = re.compile(r"^(\d{5})([A-Za-z]*)$")


class OnlineRetailNotFoundError(FileNotFoundError):
    """The data set is not where it was looked for."""


@dataclass(frozen=True)
class RetailData:
    items: list[ItemRecord]
    interactions: list[Interaction]


def default_path() -> Path:
    """$VOXRANK_SHARED_DATA/online-retail/..., else ../shared/data/... beside the repository checkout."""
    shared = os.environ.get("VOXRANK_SHARED_DATA")
    root = Path(shared) if shared else Path(__file__).resolve().parents[6].parent / "shared" / "data"
    return root / "online-retail" / FILE_NAME


def load_online_retail(path: Path | None = None) -> RetailData:
    path = path or default_path()
    if not path.is_file():
        raise OnlineRetailNotFoundError(f"online retail data not found at {path} (set VOXRANK_SHARED_DATA)")
    descriptions: dict[str, Counter[str]] = defaultdict(Counter)
    prices: dict[str, list[float]] = defaultdict(list)
    first_sale: dict[str, datetime] = {}
    interactions: list[Interaction] = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code = row["StockCode"].strip().upper()
            if (
                not _PRODUCT_CODE.match(code)
                or not row["InvoiceNo"][:1].isdigit()
                or int(row["Quantity"]) <= 0
            ):
                continue
            moment = datetime.strptime(row["InvoiceDate"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            if row["Description"].strip():
                descriptions[code][row["Description"].strip()] += 1
            prices[code].append(float(row["UnitPrice"]))
            first_sale[code] = min(first_sale.get(code, moment), moment)
            if row["CustomerID"].strip():
                user = row["CustomerID"].strip().removesuffix(".0")
                interactions.append(Interaction(user, code, moment))
    items = [
        ItemRecord(
            item_id=code,
            title=descriptions[code].most_common(1)[0][0] if descriptions[code] else "",
            series_ids=(_PRODUCT_CODE.match(code).group(1),),  # type: ignore[union-attr]
            price=statistics.median(prices[code]),
            release_date=first_sale[code],
        )
        for code in sorted(first_sale)
    ]
    return RetailData(items=items, interactions=interactions)
