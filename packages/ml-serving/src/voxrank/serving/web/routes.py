"""Routes of the web page: the page at `/`, its assets and settings under `/ui/`, and the users and item
titles it shows beside recommendations.

Left out of the OpenAPI document: it describes the API, and the page is a client of that API.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from voxrank.serving import __version__
from voxrank.serving.api.errors import ApiError
from voxrank.serving.api.security import api_key_dependency
from voxrank.serving.recommend.api import recommend_state
from voxrank.serving.recommend.store import MAX_K
from voxrank.serving.settings import ServingSettings
from voxrank.serving.web.lookups import WebSettings, catalog_titles, known_users

ASSET_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
# The page may talk to this server only; recordings and uploads play from blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; media-src 'self' blob:; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


def require_api_key(request: Request) -> None:
    """The same key check as the /v1 routes: user ids and titles are data, the page's assets are not."""
    settings: ServingSettings = request.app.state.settings
    api_key_dependency(settings)(request.headers.get(settings.api_key_header))


class PageConfig(BaseModel):
    version: str = Field(description="voxrank-ml-serving version of this server.")
    auth_enabled: bool = Field(description="Whether /v1 routes want an API key.")
    api_key_header: str = Field(description="Header that carries the API key.")


@router.get("/")
def index() -> Response:
    return _asset_response("index.html")


@router.get("/ui/config.json")
def page_config(request: Request) -> PageConfig:
    settings: ServingSettings = request.app.state.settings
    return PageConfig(
        version=__version__, auth_enabled=settings.auth_enabled, api_key_header=settings.api_key_header
    )


class UserEntry(BaseModel):
    user_id: str
    interactions: int


class UserList(BaseModel):
    users: list[UserEntry] = Field(description="Most active first, at most `limit`.")
    total: int = Field(description="Users in the interaction log.")
    detail: str | None = Field(default=None, description="Why there is no list, when there is none.")


class TitleRequest(BaseModel):
    item_ids: list[str] = Field(max_length=MAX_K)


class Titles(BaseModel):
    titles: dict[str, str] = Field(description="Title per known item id; unknown ids are left out.")
    detail: str | None = Field(default=None, description="Why there are no titles, when there are none.")


@router.get("/ui/users", dependencies=[Depends(require_api_key)])
def users(request: Request, limit: Annotated[int, Query(ge=1, le=10_000)] = 1000) -> UserList:
    # The histories the recommendation endpoints use, so the page lists exactly the users they know.
    state = recommend_state(request)
    if state.settings.histories is None:
        return UserList(users=[], total=0, detail="no stored histories: set VOXRANK_RECOMMEND_HISTORIES")
    known = known_users(state.histories())
    entries = [UserEntry(user_id=user.user_id, interactions=user.interactions) for user in known[:limit]]
    return UserList(users=entries, total=len(known))


@router.post("/ui/titles", dependencies=[Depends(require_api_key)])
def titles(body: TitleRequest) -> Titles:
    catalog = WebSettings().catalog
    if catalog is None:
        return Titles(titles={}, detail="no catalog for titles: set VOXRANK_WEB_CATALOG to its database URL")
    try:
        known = catalog_titles(catalog)
    except Exception as error:  # whatever the database driver raises: the page still shows the ids
        return Titles(titles={}, detail=f"the catalog cannot be read: {error}")
    return Titles(titles={item_id: known[item_id] for item_id in body.item_ids if item_id in known})


@router.get("/ui/{name}")
def asset(name: str) -> Response:
    if name not in ASSET_TYPES:
        raise ApiError(404, f"the web page has no asset named {name!r}")
    return _asset_response(name)


def _asset_response(name: str) -> Response:
    return Response(_read_asset(name), media_type=ASSET_TYPES[name], headers=SECURITY_HEADERS)


@cache
def _read_asset(name: str) -> bytes:
    return resources.files("voxrank.serving.web").joinpath("static", name).read_bytes()
