"""Turn validated items into rows of the normalised tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from voxrank.datasync.models import Entity, Item, parse_price
from voxrank.datasync.storage.schema import ENTITY_LINKS, PEOPLE_ROLES


@dataclass
class PageRows:
    """Every row one page of items contributes, grouped by table name."""

    content_ids: list[str] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)
    prices: list[dict[str, Any]] = field(default_factory=list)
    payloads: list[dict[str, Any]] = field(default_factory=list)
    entities: dict[str, dict[str, str | None]] = field(default_factory=lambda: defaultdict(dict))
    links: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    people: dict[tuple[str, str], tuple[str | None, str | None]] = field(default_factory=dict)
    people_links: set[tuple[str, str, str]] = field(default_factory=set)

    def only(self, content_ids: set[str]) -> PageRows:
        """The rows that hang off the items `content_ids` (reviews, prices, links, payloads); the
        item rows and the entity names stay whole."""
        if len(content_ids) == len(self.content_ids):
            return self  # every item (a fresh sync's pages): nothing to filter
        return PageRows(
            content_ids=[cid for cid in self.content_ids if cid in content_ids],
            items=self.items,
            reviews=[row for row in self.reviews if row["content_id"] in content_ids],
            prices=[row for row in self.prices if row["content_id"] in content_ids],
            payloads=[row for row in self.payloads if row["content_id"] in content_ids],
            entities=self.entities,
            links=defaultdict(
                set,
                {
                    kind: {link for link in links if link[0] in content_ids}
                    for kind, links in self.links.items()
                },
            ),
            people=self.people,
            people_links={link for link in self.people_links if link[0] in content_ids},
        )


def _item_row(item: Item, run_id: int | None, fetched_at: datetime) -> dict[str, Any]:
    prices = item.prices
    image = item.image_urls
    return {
        "content_id": item.content_id,
        "product_id": item.product_id,
        "title": item.title,
        "service_code": item.service_code,
        "service_name": item.service_name,
        "floor_code": item.floor_code,
        "floor_name": item.floor_name,
        "category_name": item.category_name,
        "volume": item.volume,
        "url": item.url,
        "affiliate_url": item.affiliate_url,
        "image_url": (image.large or image.list or image.small) if image else None,
        "release_date": item.date,
        "price": parse_price(prices.price) if prices else None,
        "price_text": None if prices is None or prices.price is None else str(prices.price),
        "list_price": parse_price(prices.list_price) if prices else None,
        "run_id": run_id,
        "fetched_at": fetched_at,
    }


def _add_references(rows: PageRows, item: Item) -> None:
    entities = cast(dict[str, list[Entity]], item.iteminfo)
    for kind in ENTITY_LINKS:
        for entity in entities.get(kind, ()):
            rows.entities[kind][entity["id"]] = entity.get("name")
            rows.links[kind].add((item.content_id, entity["id"]))
    for role in PEOPLE_ROLES:
        for person in entities.get(role, ()):
            rows.people[(role, person["id"])] = (person.get("name"), person.get("ruby"))
            rows.people_links.add((item.content_id, role, person["id"]))


def page_rows(accepted: list[tuple[Item, str]], run_id: int | None, fetched_at: datetime) -> PageRows:
    """Rows for every table, sorted by key so concurrent PostgreSQL writers take locks in one order."""
    rows = PageRows()
    for item, payload in sorted(accepted, key=lambda pair: pair[0].content_id):
        rows.content_ids.append(item.content_id)
        rows.items.append(_item_row(item, run_id, fetched_at))
        if item.review is not None:
            rows.reviews.append(
                {
                    "content_id": item.content_id,
                    "review_count": item.review.count,
                    "review_average": item.review.average,
                }
            )
        deliveries = item.prices.deliveries.delivery if item.prices and item.prices.deliveries else []
        delivery_rows = {
            delivery.type: {
                "content_id": item.content_id,
                "delivery_type": delivery.type,
                "price": parse_price(delivery.price),
                "list_price": parse_price(delivery.list_price),
            }
            for delivery in deliveries
        }
        rows.prices.extend(delivery_rows.values())
        rows.payloads.append(
            {
                "content_id": item.content_id,
                "payload": payload,
                "fetched_at": fetched_at,
            }
        )
        _add_references(rows, item)
    return rows
