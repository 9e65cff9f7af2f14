"""Routes of the web page: the page at `/`, its assets under `/ui/`, and the settings the page needs.

Left out of the OpenAPI document: it describes the API, and the page is a client of that API.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from voxrank.serving import __version__
from voxrank.serving.api.errors import ApiError
from voxrank.serving.settings import ServingSettings

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
