"""Pydantic models of the DMM API v3 responses that accept every quirk listed in dmm-api.md.

Numbers may come as strings and strings as numbers, keys are omitted rather than null, an empty result
has no `items` key, prices carry a trailing `~`, and a maker id can be the string "other".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Required

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    with_config,
)
from typing_extensions import TypedDict

API_DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


def parse_price(value: Any) -> float | None:
    """'300~' -> 300.0, '1,980' -> 1980.0, 0 -> 0.0; anything without a number -> None."""
    if type(value) is str:
        try:
            return float(value)  # the common case: a plain number; one try is cheaper than the cleaning
        except ValueError:
            pass
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).replace(",", "").strip().rstrip("~").strip()
    try:
        return float(text)
    except ValueError:
        return None


def _empty_to_none(value: Any) -> Any:
    return None if value == "" else value


OptionalFloat = Annotated[float | None, BeforeValidator(_empty_to_none)]


LENIENT = ConfigDict(coerce_numbers_to_str=True, extra="ignore")
"""Numbers where strings are expected (and the reverse) are coerced; unknown keys are ignored."""


class Lenient(BaseModel):
    model_config = ConfigDict(**LENIENT, populate_by_name=True)


@with_config(LENIENT)
class Entity(TypedDict, total=False):
    """A genre, maker, series, label or person of an item. A typed dict rather than a model: an item
    holds about seven, and building them as model instances was a third of the page's validation."""

    id: Required[str]
    name: str | None
    ruby: str | None


@with_config(LENIENT)
class ItemInfo(TypedDict, total=False):
    """Entity lists by kind; the API omits the key of an empty list."""

    genre: list[Entity]
    series: list[Entity]
    maker: list[Entity]
    label: list[Entity]
    actress: list[Entity]
    actor: list[Entity]
    director: list[Entity]
    author: list[Entity]


# The parts of an item are typed dicts rather than models, as Entity is: pydantic-core builds them
# without a model instance each (a quarter less validation time per page).


@with_config(LENIENT)
class Review(TypedDict, total=False):
    count: int
    average: OptionalFloat


@with_config(LENIENT)
class Delivery(TypedDict, total=False):
    type: Required[str]
    price: Any
    list_price: Any


@with_config(LENIENT)
class Deliveries(TypedDict, total=False):
    delivery: list[Delivery]


@with_config(LENIENT)
class Prices(TypedDict, total=False):
    price: Any
    list_price: Any
    deliveries: Deliveries | None


@with_config(LENIENT)
class ImageUrls(TypedDict, total=False):
    list: str | None
    small: str | None
    large: str | None


class Item(Lenient):
    content_id: Annotated[str, Field(min_length=1)]
    product_id: str | None = None
    title: str | None = None
    service_code: str | None = None
    service_name: str | None = None
    floor_code: str | None = None
    floor_name: str | None = None
    category_name: str | None = None
    volume: str | None = None
    url: str | None = Field(default=None, validation_alias=AliasChoices("URL", "url"))
    affiliate_url: str | None = Field(
        default=None, validation_alias=AliasChoices("affiliateURL", "affiliate_url")
    )
    image_urls: ImageUrls | None = Field(
        default=None, validation_alias=AliasChoices("imageURL", "image_urls")
    )
    review: Review | None = None
    prices: Prices | None = None
    date: datetime | None = None
    iteminfo: ItemInfo = Field(default_factory=ItemInfo)


class ItemListResult(Lenient):
    status: int
    result_count: int = 0
    total_count: int = 0
    first_position: int = 1
    items: list[dict[str, Any]] = Field(default_factory=list)
    """Raw item objects: each is validated on its own so one bad record goes to quarantine, not the page."""


class ErrorResult(Lenient):
    status: int
    message: str = "error"
    errors: dict[str, Any] | list[Any] | None = None

    def field_errors(self) -> dict[str, str]:
        if isinstance(self.errors, dict):
            return {str(key): str(value) for key, value in self.errors.items()}
        if isinstance(self.errors, list):
            return {str(index): str(value) for index, value in enumerate(self.errors)}
        return {}


class Floor(Lenient):
    id: str
    name: str | None = None
    code: str


class Service(Lenient):
    name: str | None = None
    code: str
    floor: list[Floor] = Field(default_factory=list)


class Site(Lenient):
    name: str | None = None
    code: str
    service: list[Service] = Field(default_factory=list)


class FloorListResult(Lenient):
    site: list[Site] = Field(default_factory=list)


class ReferenceEntry(Lenient):
    """One row of GenreSearch / MakerSearch / SeriesSearch / AuthorSearch / ActressSearch."""

    id: str = Field(validation_alias=AliasChoices("genre_id", "maker_id", "series_id", "author_id", "id"))
    name: str | None = None
    ruby: str | None = None


class SearchResult(Lenient):
    status: int
    result_count: int = 0
    total_count: int = 0
    first_position: int = 1


class RejectedItem(BaseModel):
    """A record that failed validation: kept with the reason, never dropped silently."""

    content_id: str | None
    reason: str
    payload: dict[str, Any] | Any


def _short_reason(error: ValidationError) -> str:
    parts = [f"{'.'.join(str(p) for p in e['loc']) or 'item'}: {e['msg']}" for e in error.errors()[:5]]
    return "; ".join(parts)


_PAGE_OF_ITEMS = TypeAdapter(list[Item])


def validate_items(raw_items: list[Any]) -> tuple[list[tuple[Item, dict[str, Any]]], list[RejectedItem]]:
    """Split a page into (item, raw) pairs and rejected records, keeping the last copy of a repeated id."""
    try:
        # The common case, a clean page, in one call into pydantic-core; a page with a bad record
        # is gone through item by item to find it.
        items = _PAGE_OF_ITEMS.validate_python(raw_items)
    except ValidationError:
        return _validate_one_by_one(raw_items)
    unique = {item.content_id: (item, raw) for item, raw in zip(items, raw_items, strict=True)}
    return list(unique.values()), []


def _validate_one_by_one(
    raw_items: list[Any],
) -> tuple[list[tuple[Item, dict[str, Any]]], list[RejectedItem]]:
    accepted: dict[str, tuple[Item, dict[str, Any]]] = {}
    rejected: list[RejectedItem] = []
    for raw in raw_items:
        if not isinstance(raw, dict):
            rejected.append(RejectedItem(content_id=None, reason="item is not a JSON object", payload=raw))
            continue
        try:
            item = Item.model_validate(raw)
        except ValidationError as error:
            content_id = raw.get("content_id")
            rejected.append(
                RejectedItem(
                    content_id=str(content_id) if content_id else None,
                    reason=_short_reason(error),
                    payload=raw,
                )
            )
            continue
        accepted[item.content_id] = (item, raw)
    return list(accepted.values()), rejected
