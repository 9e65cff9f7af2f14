"""The fake DMM API as a Starlette app: ItemList, FloorList, the reference searches, and `/_fake/*` controls.

Controls (not part of the real API): `GET /_fake/stats` (successful ItemList responses counted per
query, for "no page fetched twice" checks, and the server's CPU seconds so far),
`POST /_fake/stats/reset`, `POST /_fake/mutate?count=&seed=`, `POST /_fake/grow?count=`,
`GET /_fake/snapshot` (every item's current key fields, for equality checks).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from voxrank.datasync.fakeapi.faults import Fault, FaultConfig, FaultInjector
from voxrank.datasync.fakeapi.query import ARTICLES, SORTS, ItemQuery, QueryEngine
from voxrank.datasync.fakeapi.rendered import RenderedItems, to_json_bytes
from voxrank.datasync.fakeapi.synthetic import (
    FLOORS,
    GENRE_POOL,
    MAKER_POOL,
    PEOPLE_POOL,
    SERIES_POOL,
    SyntheticCatalog,
    entity,
    genre_name,
    person,
)
from voxrank.datasync.process_usage import ProcessUsage

SITES = ("DMM.com", "FANZA")
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
SECRET_PARAMETERS = ("api_id", "affiliate_id")


@dataclass(frozen=True)
class FakeApiConfig:
    items: int = 200_000
    seed: int = 1
    api_id: str | None = None
    """The one accepted api_id; None accepts any non-empty value."""
    offset_cap: int = 50_000
    malformed_rate: float = 0.0
    faults: FaultConfig = field(default_factory=FaultConfig)


class BadRequestError(Exception):
    def __init__(self, parameter: str) -> None:
        self.parameter = parameter


class FakeApi:
    def __init__(self, config: FakeApiConfig) -> None:
        self.config = config
        self.catalog = SyntheticCatalog(config.items, config.seed, config.malformed_rate)
        self.queries = QueryEngine(self.catalog)
        self.rendered = RenderedItems(self.catalog)
        self.faults = FaultInjector(config.faults, config.seed)
        self.page_counts: Counter[str] = Counter()
        self.outcomes: Counter[str] = Counter()

    # Request validation ----------------------------------------------------------------------------

    def _check_credentials(self, params: dict[str, str]) -> None:
        api_id = params.get("api_id", "")
        if not api_id or (self.config.api_id is not None and api_id != self.config.api_id):
            raise BadRequestError("api_id")
        affiliate_id = params.get("affiliate_id", "")
        if not (affiliate_id[-3:].isdigit() and 990 <= int(affiliate_id[-3:]) <= 999):
            raise BadRequestError("affiliate_id")

    def _int(self, params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
        try:
            value = int(params.get(name, default))
        except ValueError as error:
            raise BadRequestError(name) from error
        if not low <= value <= high:
            raise BadRequestError(name)
        return value

    def _date(self, params: dict[str, str], name: str) -> datetime | None:
        if name not in params:
            return None
        try:
            return datetime.strptime(params[name], DATE_FORMAT)
        except ValueError as error:
            raise BadRequestError(name) from error

    def item_query(self, params: dict[str, str]) -> tuple[ItemQuery, int, int]:
        self._check_credentials(params)
        site = params.get("site", "")
        if site not in SITES:
            raise BadRequestError("site")
        floors = [floor for floor in FLOORS if floor.site == site]
        service, floor = params.get("service"), params.get("floor")
        if service is not None and service not in {f.service_code for f in floors}:
            raise BadRequestError("service")
        if floor is not None and floor not in {
            f.floor_code for f in floors if service in (None, f.service_code)
        }:
            raise BadRequestError("floor")
        sort = params.get("sort", "rank")
        if sort not in SORTS:
            raise BadRequestError("sort")
        hits = self._int(params, "hits", 20, 1, 100)
        offset = self._int(params, "offset", 1, 1, self.config.offset_cap)
        query = ItemQuery(
            site=site,
            service=service,
            floor=floor,
            sort=sort,
            keyword=params.get("keyword"),
            cid=params.get("cid"),
            articles=_articles(params),
            gte_date=self._date(params, "gte_date"),
            lte_date=self._date(params, "lte_date"),
        )
        return query, hits, offset

    # Endpoints -------------------------------------------------------------------------------------

    def item_list(self, params: dict[str, str]) -> bytes:
        """The response body, with the items' pre-rendered JSON joined into it."""
        query, hits, offset = self.item_query(params)
        matching = self.queries.matching(query)
        page = matching[offset - 1 : offset - 1 + hits]
        result = to_json_bytes(
            {"status": 200, "result_count": len(page), "total_count": len(matching), "first_position": offset}
        )
        if len(page):
            items = b",".join(self.rendered[int(index)] for index in page)
            result = result[:-1] + b',"items":[' + items + b"]}"
        self.page_counts[_page_key(params)] += 1
        return b'{"request":' + to_json_bytes({"parameters": params}) + b',"result":' + result + b"}"

    def floor_list(self, params: dict[str, str]) -> dict[str, Any]:
        self._check_credentials(params)
        sites = []
        for site in SITES:
            services: dict[str, dict[str, Any]] = {}
            for floor in (f for f in FLOORS if f.site == site):
                service = services.setdefault(
                    floor.service_code, {"name": floor.service_name, "code": floor.service_code, "floor": []}
                )
                service["floor"].append(
                    {"id": str(floor.floor_id), "name": floor.floor_name, "code": floor.floor_code}
                )
            sites.append({"name": site, "code": site, "service": list(services.values())})
        return {"request": {"parameters": params}, "result": {"site": sites}}

    def search(self, kind: str, params: dict[str, str]) -> dict[str, Any]:
        self._check_credentials(params)
        if kind != "actress" and params.get("floor_id") not in {str(f.floor_id) for f in FLOORS}:
            raise BadRequestError("floor_id")
        limit = 100 if kind == "actress" else 500
        hits = self._int(params, "hits", 100, 1, limit)
        pool = {
            "genre": GENRE_POOL,
            "maker": MAKER_POOL,
            "series": SERIES_POOL,
            "author": PEOPLE_POOL["author"],
            "actress": PEOPLE_POOL["actress"],
        }[kind]
        offset = self._int(params, "offset", 1, 1, pool + 1)
        ids = range(offset, min(pool, offset + hits - 1) + 1)
        rows = [_reference_row(kind, entry_id) for entry_id in ids]
        result = {
            "status": "200",
            "result_count": str(len(rows)),
            "total_count": str(pool),
            "first_position": str(offset),
            kind: rows,
        }
        return {"request": {"parameters": params}, "result": result}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        catalog = self.catalog
        rows = {}
        for index in range(len(catalog)):
            if catalog.columns["malformed"][index]:
                continue
            review = catalog.review(index)
            rows[catalog.content_id(index)] = {
                "site": catalog.floor(index).site,
                "price": float(catalog.price_value(index)),
                "review_count": review[0] if review else 0,
                "title": catalog.title(index) if not catalog.columns["no_title"][index] else None,
                "release_date": catalog.release_date(index).isoformat(),
            }
        return rows


def _articles(params: dict[str, str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    if "article" in params:
        pairs.append((params["article"], params.get("article_id", "")))
    index = 0
    while f"article[{index}]" in params:
        pairs.append((params[f"article[{index}]"], params.get(f"article_id[{index}]", "")))
        index += 1
    for kind, _ in pairs:
        if kind not in ARTICLES:
            raise BadRequestError("article")
    return tuple(pairs)


def _page_key(params: dict[str, str]) -> str:
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key not in SECRET_PARAMETERS)


def _reference_row(kind: str, entry_id: int) -> dict[str, Any]:
    if kind == "genre":
        return {"genre_id": str(entry_id), "name": genre_name(entry_id), "ruby": ""}
    if kind in ("author", "actress"):
        record = person(entry_id, kind)
        key = "id" if kind == "actress" else "author_id"
        return {key: str(entry_id), "name": record["name"], "ruby": record.get("ruby", "")}
    return {f"{kind}_id": str(entry_id), "name": entity(entry_id, kind)["name"], "ruby": ""}


def _error_body(parameter: str, params: dict[str, str]) -> dict[str, Any]:
    return {
        "request": {"parameters": params},
        "result": {"status": 400, "message": "BAD REQUEST", "errors": {parameter: "Invalid Request Error"}},
    }


def create_app(config: FakeApiConfig) -> Starlette:
    api = FakeApi(config)
    api.rendered.render_all()
    fault_config = config.faults

    async def answer(request: Request, produce: Any, count_as: str) -> Response:
        params = dict(request.query_params)
        if fault_config.latency_ms:
            await asyncio.sleep(fault_config.latency_ms / 1000)
        fault = api.faults.next_fault()
        api.outcomes[f"{count_as}:{fault.value}"] += 1
        if fault is Fault.RATE_LIMITED:
            return Response(status_code=429, headers={"Retry-After": str(fault_config.retry_after_s)})
        if fault is Fault.SERVER_ERROR:
            return Response("upstream unavailable", status_code=503)
        if fault is Fault.TIMEOUT:
            await asyncio.sleep(fault_config.stall_s)
            return Response(status_code=504)
        try:
            body = produce(params)
        except BadRequestError as error:
            return JSONResponse(_error_body(error.parameter, params), status_code=400)
        encoded = body if isinstance(body, bytes) else to_json_bytes(body)
        if fault is Fault.TRUNCATED:
            encoded = encoded[: len(encoded) // 2]
        return Response(encoded, media_type="application/json; charset=utf-8")

    async def item_list(request: Request) -> Response:
        return await answer(request, api.item_list, "ItemList")

    async def floor_list(request: Request) -> Response:
        return await answer(request, api.floor_list, "FloorList")

    def search_route(kind: str, path: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await answer(request, lambda params: api.search(kind, params), path)

        return Route(f"/affiliate/v3/{path}", endpoint)

    async def stats(_: Request) -> Response:
        return JSONResponse(
            {
                "items": len(api.catalog),
                "pages": dict(api.page_counts),
                "outcomes": dict(api.outcomes),
                "cpu_s": ProcessUsage.of_this_process().cpu_s,
            }
        )

    async def reset_stats(_: Request) -> Response:
        api.page_counts.clear()
        api.outcomes.clear()
        return JSONResponse({"reset": True})

    async def mutate(request: Request) -> Response:
        changed = api.catalog.mutate(
            int(request.query_params.get("count", "10")), int(request.query_params.get("seed", "0"))
        )
        api.queries.invalidate()
        api.rendered.forget(changed)
        return JSONResponse({"changed": len(changed)})

    async def grow(request: Request) -> Response:
        api.catalog.grow(int(request.query_params.get("count", "10")))
        api.queries.invalidate()
        return JSONResponse({"items": len(api.catalog)})

    async def snapshot(_: Request) -> Response:
        return JSONResponse(api.snapshot())

    async def health(_: Request) -> Response:
        return JSONResponse({"ok": True, "items": len(api.catalog)})

    routes = [
        Route("/affiliate/v3/ItemList", item_list),
        Route("/affiliate/v3/FloorList", floor_list),
        search_route("genre", "GenreSearch"),
        search_route("maker", "MakerSearch"),
        search_route("series", "SeriesSearch"),
        search_route("author", "AuthorSearch"),
        search_route("actress", "ActressSearch"),
        Route("/_fake/health", health),
        Route("/_fake/stats", stats),
        Route("/_fake/stats/reset", reset_stats, methods=["POST"]),
        Route("/_fake/mutate", mutate, methods=["POST"]),
        Route("/_fake/grow", grow, methods=["POST"]),
        Route("/_fake/snapshot", snapshot),
    ]
    return Starlette(routes=routes)
