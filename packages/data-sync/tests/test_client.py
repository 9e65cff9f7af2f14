"""The client against scripted real HTTP servers on loopback: retries, Retry-After, rate limit, secrecy."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from voxrank.datasync.client import DmmClient, RetryPolicy
from voxrank.datasync.errors import ApiError, TransientApiError
from voxrank.datasync.fakeapi.server import free_port

SECRET = "api-id-SECRET-4f9c"
PAGE = {
    "result": {
        "status": 200,
        "result_count": 1,
        "total_count": "1",
        "first_position": 1,
        "items": [{"content_id": "a1"}],
    }
}


class ScriptedServer:
    """Answers ItemList with the next scripted (status, headers, body) and records every query."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], bytes]] = []
        self.queries: list[str] = []
        self.arrivals: list[float] = []

        async def item_list(request: Request) -> Response:
            self.queries.append(str(request.url.query))
            self.arrivals.append(time.monotonic())
            status, headers, body = (
                self.script.pop(0) if self.script else (200, {}, json.dumps(PAGE).encode())
            )
            return Response(body, status_code=status, headers=headers, media_type="application/json")

        self.port = free_port()
        config = uvicorn.Config(
            Starlette(routes=[Route("/affiliate/v3/ItemList", item_list)]), port=self.port, log_level="error"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def client(self, **options) -> DmmClient:
        options.setdefault("retry", RetryPolicy(max_attempts=4, initial_wait_s=0.01, max_wait_s=0.05))
        options.setdefault("rate_limit", 1000)
        return DmmClient(
            SECRET, "voxrank-990", base_url=f"http://127.0.0.1:{self.port}/affiliate/v3", **options
        )


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.thread.start()
    while not server.server.started:
        time.sleep(0.01)
    yield server
    server.server.should_exit = True
    server.thread.join(timeout=10)


async def _fetch(client: DmmClient):
    async with client:
        return await client.item_list(site="FANZA", hits=1)


def test_retries_429_5xx_and_truncated_bodies_then_succeeds(scripted) -> None:
    scripted.script = [
        (429, {"Retry-After": "0"}, b""),
        (503, {}, b"busy"),
        (200, {}, json.dumps(PAGE).encode()[:20]),
    ]
    result = asyncio.run(_fetch(scripted.client()))
    assert result.total_count == 1 and result.items[0]["content_id"] == "a1"
    assert len(scripted.queries) == 4


def test_honours_retry_after(scripted) -> None:
    scripted.script = [(429, {"Retry-After": "1"}, b"")]
    asyncio.run(_fetch(scripted.client()))
    assert scripted.arrivals[1] - scripted.arrivals[0] >= 0.95


def test_gives_up_after_max_attempts_with_a_transient_error(scripted) -> None:
    scripted.script = [(502, {}, b"")] * 4
    with pytest.raises(TransientApiError, match="HTTP 502") as raised:
        asyncio.run(_fetch(scripted.client()))
    assert SECRET not in str(raised.value)
    assert len(scripted.queries) == 4


def test_a_400_carries_the_api_message_and_is_not_retried(scripted) -> None:
    body = {
        "result": {
            "status": "400",
            "message": "BAD REQUEST",
            "errors": {"affiliate_id": "Invalid Request Error"},
        }
    }
    scripted.script = [(400, {}, json.dumps(body).encode())]
    with pytest.raises(ApiError) as raised:
        asyncio.run(_fetch(scripted.client()))
    assert raised.value.status == 400
    assert raised.value.field_errors == {"affiliate_id": "Invalid Request Error"}
    assert str(raised.value) == "DMM API returned 400 BAD REQUEST (affiliate_id: Invalid Request Error)"
    assert len(scripted.queries) == 1


def test_an_error_status_inside_a_200_body_is_an_error(scripted) -> None:
    body = {"result": {"status": 400, "message": "BAD REQUEST"}}
    scripted.script = [(200, {}, json.dumps(body).encode())]
    with pytest.raises(ApiError, match="BAD REQUEST"):
        asyncio.run(_fetch(scripted.client()))


def test_the_rate_limit_paces_requests(scripted) -> None:
    async def burst() -> None:
        async with scripted.client(rate_limit=5) as client:
            await asyncio.gather(*(client.item_list(site="FANZA", hits=1) for _ in range(10)))

    started = time.monotonic()
    asyncio.run(burst())
    assert time.monotonic() - started >= 0.9
    assert len(scripted.queries) == 10


def test_the_api_id_is_sent_but_never_logged(scripted, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    asyncio.run(_fetch(scripted.client()))
    assert f"api_id={SECRET}" in scripted.queries[0]
    assert "api_id=***" in caplog.text
    assert SECRET not in caplog.text


def test_offsets_past_the_cap_are_refused_before_any_request(scripted) -> None:
    async def past_cap() -> None:
        async with scripted.client(offset_cap=300) as client:
            await client.item_list(site="FANZA", offset=301)

    with pytest.raises(ValueError, match="offset cap"):
        asyncio.run(past_cap())
    assert scripted.queries == []
