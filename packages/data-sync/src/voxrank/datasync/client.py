"""Async client of the DMM Web Service API v3: retries, a rate limit and typed errors.

The api_id travels only in the query string of outgoing requests: it is redacted from httpx's log
records and never put into exceptions, results or the database.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx
import orjson
from aiolimiter import AsyncLimiter
from pydantic import SecretStr, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from voxrank.datasync.errors import ApiError, TransientApiError
from voxrank.datasync.models import ErrorResult, FloorListResult, ItemListResult, ReferenceEntry, SearchResult
from voxrank.datasync.settings import DEFAULT_API_BASE_URL, OFFSET_CAP

logger = logging.getLogger(__name__)

API_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S"
MAX_RETRY_AFTER_S = 120.0
SEARCH_KINDS = {
    "genre": "GenreSearch",
    "maker": "MakerSearch",
    "series": "SeriesSearch",
    "author": "AuthorSearch",
    "actress": "ActressSearch",
}
_SECRET_IN_URL = re.compile(r"(api_id=)[^&\s\"']+")


class _RedactApiId(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _SECRET_IN_URL.sub(r"\1***", record.getMessage())
        record.args = None
        return True


for _name in ("httpx", "httpcore"):
    logging.getLogger(_name).addFilter(_RedactApiId())


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_wait_s: float = 0.2
    max_wait_s: float = 10.0


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return min(float(value), MAX_RETRY_AFTER_S)
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max((moment - datetime.now(UTC)).total_seconds(), 0.0), MAX_RETRY_AFTER_S)


class _WaitHonouringRetryAfter:
    """Exponential back-off with jitter, or exactly the server's Retry-After when it sent one."""

    def __init__(self, policy: RetryPolicy) -> None:
        self._backoff = wait_random_exponential(multiplier=policy.initial_wait_s, max=policy.max_wait_s)

    def __call__(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, TransientApiError) and error.retry_after is not None:
            return error.retry_after
        return float(self._backoff(state))


def _error_from(response: httpx.Response, body: bytes) -> ApiError:
    try:
        result = ErrorResult.model_validate(json.loads(body)["result"])
    except (ValueError, KeyError, TypeError, ValidationError):
        text = body[:200].decode(response.encoding or "utf-8", errors="replace").strip()
        return ApiError(response.status_code, text or response.reason_phrase)
    return ApiError(response.status_code, result.message, result.field_errors())


def _result_of(response: httpx.Response, body: bytes) -> dict[str, Any]:
    """The `result` object of a 200 response, or a typed error for everything else."""
    status = response.status_code
    if status == 429 or status >= 500:
        raise TransientApiError(f"HTTP {status}", retry_after=_retry_after(response))
    if status != 200:
        raise _error_from(response, body)
    try:
        result = orjson.loads(body)["result"]
    except (ValueError, KeyError, TypeError):
        raise TransientApiError(f"invalid or truncated JSON body ({len(body)} bytes)") from None
    if not isinstance(result, dict):
        raise TransientApiError("response has no result object")
    inner_status = str(result.get("status", "200"))
    if inner_status.isdigit() and int(inner_status) >= 500:
        raise TransientApiError(f"result.status {inner_status}")
    if inner_status.isdigit() and int(inner_status) >= 400:
        raise _error_from(response, body)
    return result


class DmmClient:
    """`async with DmmClient(...) as client: await client.item_list(site="FANZA", ...)`."""

    def __init__(
        self,
        api_id: SecretStr | str,
        affiliate_id: str,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        rate_limit: float = 5.0,
        max_connections: int = 8,
        timeout_s: float = 15.0,
        retry: RetryPolicy | None = None,
        offset_cap: int = OFFSET_CAP,
    ) -> None:
        self._api_id = api_id if isinstance(api_id, SecretStr) else SecretStr(api_id)
        self._affiliate_id = affiliate_id
        self._limiter = (
            AsyncLimiter(max(rate_limit, 1e-3), 1.0) if rate_limit >= 1 else AsyncLimiter(1, 1 / rate_limit)
        )
        self._retry = retry or RetryPolicy()
        self.offset_cap = offset_cap
        self.attempts: Counter[str] = Counter()
        # Held only while a request is on the wire: a call waiting out a back-off or a Retry-After
        # leaves its slot to another call (the connection pool alone would time such waiters out).
        self._slots = asyncio.Semaphore(max_connections)
        self._in_flight = 0
        self.peak_in_flight = 0
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            headers={"User-Agent": "voxrank-sync"},
        )

    async def __aenter__(self) -> DmmClient:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _attempt(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        async with self._limiter:
            self.attempts[endpoint] += 1
            query = {"api_id": self._api_id.get_secret_value(), "affiliate_id": self._affiliate_id, **params}
            try:
                async with self._slots:
                    response, body = await self._get_body(endpoint, query)
            except httpx.TimeoutException as error:
                raise TransientApiError(f"{endpoint} timed out ({type(error).__name__})") from None
            except httpx.TransportError as error:
                raise TransientApiError(f"{endpoint} transport error ({type(error).__name__})") from None
        return _result_of(response, body)

    async def _get_body(self, endpoint: str, query: dict[str, Any]) -> tuple[httpx.Response, bytes]:
        """The response and its body, which is kept off the response: an httpx response and its
        stream refer to each other, so a response is freed only by the garbage collector's next
        young-generation pass, which `gcpolicy` makes rare; with their bodies on them, the responses
        waiting for that pass held about 40 MB during a sync (traced with tracemalloc)."""
        self._in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self._in_flight)
        try:
            request = self._http.build_request("GET", endpoint, params=query)
            response = await self._http.send(request, stream=True)
            try:
                return response, b"".join([part async for part in response.aiter_bytes()])
            finally:
                await response.aclose()
        finally:
            self._in_flight -= 1

    async def _get(self, endpoint: str, params: dict[str, Any]) -> dict[str, Any]:
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TransientApiError),
            stop=stop_after_attempt(self._retry.max_attempts),
            wait=_WaitHonouringRetryAfter(self._retry),
            before_sleep=lambda state: logger.debug(
                "retrying %s after %s", endpoint, state.outcome.exception() if state.outcome else None
            ),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._attempt(endpoint, params)
        raise AssertionError("tenacity stops by re-raising")  # pragma: no cover

    async def item_list(
        self,
        *,
        site: str,
        service: str | None = None,
        floor: str | None = None,
        hits: int = 100,
        offset: int = 1,
        sort: str = "date",
        gte_date: datetime | None = None,
        lte_date: datetime | None = None,
        **extra: str,
    ) -> ItemListResult:
        if not 1 <= offset <= self.offset_cap:
            raise ValueError(f"offset {offset} is outside 1..{self.offset_cap} (the API's offset cap)")
        params: dict[str, Any] = {
            "site": site,
            "hits": hits,
            "offset": offset,
            "sort": sort,
            "output": "json",
        }
        params.update({k: v for k, v in {"service": service, "floor": floor}.items() if v})
        if gte_date is not None:
            params["gte_date"] = gte_date.strftime(API_DATE_FORMAT)
        if lte_date is not None:
            params["lte_date"] = lte_date.strftime(API_DATE_FORMAT)
        params.update(extra)
        result = await self._get("ItemList", params)
        try:
            return ItemListResult.model_validate(result)
        except ValidationError as error:
            raise TransientApiError(
                f"ItemList result has an unexpected shape: {error.error_count()} errors"
            ) from None

    async def floor_list(self) -> FloorListResult:
        return FloorListResult.model_validate(await self._get("FloorList", {"output": "json"}))

    async def search(
        self, kind: str, *, floor_id: str | None = None, hits: int = 100, offset: int = 1
    ) -> tuple[SearchResult, list[ReferenceEntry]]:
        """One page of GenreSearch / MakerSearch / SeriesSearch / AuthorSearch / ActressSearch."""
        params: dict[str, Any] = {"hits": hits, "offset": offset, "output": "json"}
        if floor_id is not None:
            params["floor_id"] = floor_id
        result = await self._get(SEARCH_KINDS[kind], params)
        entries = [ReferenceEntry.model_validate(row) for row in result.get(kind, [])]
        return SearchResult.model_validate(result), entries
