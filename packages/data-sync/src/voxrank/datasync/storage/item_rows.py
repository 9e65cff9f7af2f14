"""Turn validated items into rows of the normalised tables."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from operator import itemgetter
from typing import cast

from voxrank.datasync.models import Entity, Item, parse_price
from voxrank.datasync.storage.schema import ENTITY_LINKS, PEOPLE_ROLES
from voxrank.datasync.storage.upsert import Row

# Rows are tuples in these column orders, content_id first: a page's rows cross to the writer process
# pickled, and tuples pickle to less than dicts, load faster, and bind as they are.
ITEM_COLUMNS = (
    "content_id", "product_id", "title", "service_code", "service_name", "floor_code", "floor_name",
    "category_name", "volume", "url", "affiliate_url", "image_url", "release_date", "price", "price_text",
    "list_price", "run_id", "fetched_at",
)  # fmt: skip
REVIEW_COLUMNS = ("content_id", "review_count", "review_average")
PRICE_COLUMNS = ("content_id", "delivery_type", "price", "list_price")
PAYLOAD_COLUMNS = ("content_id", "payload", "fetched_at")


@dataclass
class PageRows:
    """Every row one page of items contributes, grouped by table name."""

    content_ids: list[str] = field(default_factory=list)
    items: list[Row] = field(default_factory=list)
    reviews: list[Row] = field(default_factory=list)
    prices: list[Row] = field(default_factory=list)
    payloads: list[Row] = field(default_factory=list)
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
            reviews=[row for row in self.reviews if row[0] in content_ids],
            prices=[row for row in self.prices if row[0] in content_ids],
            payloads=[row for row in self.payloads if row[0] in content_ids],
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


def _item_row(item: Item, run_id: int | None, fetched_at: datetime) -> Row:
    prices = item.prices or {}
    image = item.image_urls or {}
    price = prices.get("price")
    return (
        item.content_id, item.product_id, item.title, item.service_code, item.service_name,
        item.floor_code, item.floor_name, item.category_name, item.volume, item.url, item.affiliate_url,
        image.get("large") or image.get("list") or image.get("small"), item.date, parse_price(price),
        None if price is None else str(price), parse_price(prices.get("list_price")), run_id, fetched_at,
    )  # fmt: skip


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
        content_id = item.content_id
        rows.content_ids.append(content_id)
        rows.items.append(_item_row(item, run_id, fetched_at))
        if item.review is not None:
            rows.reviews.append((content_id, item.review.get("count", 0), item.review.get("average")))
        deliveries = ((item.prices or {}).get("deliveries") or {}).get("delivery", [])
        delivery_rows = {
            delivery["type"]: (
                content_id,
                delivery["type"],
                parse_price(delivery.get("price")),
                parse_price(delivery.get("list_price")),
            )
            for delivery in deliveries
        }
        rows.prices.extend(delivery_rows.values())
        rows.payloads.append((content_id, payload, fetched_at))
        _add_references(rows, item)
    return rows


def merge_page_rows(pages: list[PageRows]) -> PageRows:
    """The rows of several pages as one: an item on more than one page (the API's order shifted
    between requests) keeps the rows of its last page. Sorted by key again, as `page_rows` is."""
    if len(pages) == 1:
        return pages[0]
    last_page = {content_id: index for index, rows in enumerate(pages) for content_id in rows.content_ids}
    if len(last_page) < sum(len(rows.content_ids) for rows in pages):
        pages = [
            _owned_rows(rows, {cid for cid in rows.content_ids if last_page[cid] == index})
            for index, rows in enumerate(pages)
        ]
    merged = PageRows(content_ids=sorted(last_page))
    for rows in pages:
        merged.items += rows.items
        merged.reviews += rows.reviews
        merged.prices += rows.prices
        merged.payloads += rows.payloads
        for kind, names in rows.entities.items():
            merged.entities[kind].update(names)
        for kind, links in rows.links.items():
            merged.links[kind] |= links
        merged.people.update(rows.people)
        merged.people_links |= rows.people_links
    by_content_id = itemgetter(0)
    for table_rows in (merged.items, merged.reviews, merged.payloads):
        table_rows.sort(key=by_content_id)
    merged.prices.sort(key=itemgetter(0, 1))
    return merged


def _owned_rows(rows: PageRows, content_ids: set[str]) -> PageRows:
    # `only` keeps the item rows whole; here each page keeps just the items it owns.
    return replace(rows.only(content_ids), items=[row for row in rows.items if row[0] in content_ids])
