"""`http` mode: end-to-end load on a running server over loopback, closed-loop sweep and open-loop rate.

Closed loop: N clients each send a request as soon as their previous one returns, measured in time
windows until three agree within 10% (as perf_analyzer does), bounded by a request count and a
window count. Open loop: requests arrive as a Poisson process at a fixed rate whatever the server
does, and latency counts from the scheduled arrival, so a stalled server cannot hide its queue
(coordinated omission). Only loopback addresses are accepted: this is a benchmark, not a load tool.

The generator shares the machine with the server, so its own CPU per request is kept small: one aiohttp
session (keep-alive connections) on uvloop where it is installed. Latency is still end to end as a
client sees it: from sending the request to having read the whole response body.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp
import numpy as np

from voxrank.serving.bench.measure import MeasureSettings, Window, is_stable, latency_stats, summarise
from voxrank.serving.bench.schema import Measurement, ParameterValue, Stability

LOOPBACK_NAMES = {"localhost"}

T = TypeVar("T")


class NotLoopbackError(ValueError):
    """A target URL outside this machine."""


def require_loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    try:
        loopback = host in LOOPBACK_NAMES or ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise NotLoopbackError(f"{url}: the http benchmark only targets loopback (127.0.0.1, ::1, localhost)")
    return url.rstrip("/")


@dataclass(frozen=True)
class Request:
    """One request to repeat: the name results are reported under, and what to send."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoadLimits:
    """Bounds of one load level: never more than `max_requests` nor `max_windows` windows."""

    window_s: float = 1.0
    max_windows: int = 6
    stable_windows: int = 3
    tolerance: float = 0.10
    max_requests: int = 3000
    warmup_requests: int = 16
    timeout_s: float = 30.0
    open_loop_connections: int = 64

    def settings(self) -> MeasureSettings:
        return MeasureSettings(
            stable_windows=self.stable_windows, max_windows=self.max_windows, tolerance=self.tolerance
        )


@dataclass
class Completion:
    end_ns: int
    latency_ns: int
    status: int
    """HTTP status, or 0 for a transport error (refused, reset, timed out)."""


async def _send(client: aiohttp.ClientSession, request: Request) -> int:
    try:
        async with client.request(
            request.method, request.path, data=request.body, headers=request.headers
        ) as response:
            await response.read()
            return response.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


def _status_figures(completions: list[Completion]) -> dict[str, float]:
    statuses = np.array([c.status for c in completions])
    return {f"status_{code}": float((statuses == code).sum()) for code in np.unique(statuses)}


def _client(base_url: str, connections: int, limits: LoadLimits) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=base_url,
        connector=aiohttp.TCPConnector(limit=connections),
        timeout=aiohttp.ClientTimeout(total=limits.timeout_s),
    )


def run_load(load: Coroutine[Any, Any, T]) -> T:
    """Run one load level in a fresh event loop: uvloop's where installed (less client CPU per request)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(load)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(load)


async def closed_loop(base_url: str, request: Request, concurrency: int, limits: LoadLimits) -> Measurement:
    """`concurrency` requests always in flight, until the windows are stable or a bound is reached."""
    parameters = {
        "load": "closed",
        "concurrency": concurrency,
        "method": request.method,
        "path": request.path,
    }
    completions: list[Completion] = []
    stop = asyncio.Event()

    async def client_loop(client: aiohttp.ClientSession) -> None:
        while not stop.is_set():
            start = time.perf_counter_ns()
            status = await _send(client, request)
            end = time.perf_counter_ns()
            completions.append(Completion(end, end - start, status))

    async with _client(base_url, concurrency, limits) as client:
        await asyncio.gather(
            *(_send(client, request) for _ in range(max(limits.warmup_requests, concurrency)))
        )
        workers = [asyncio.create_task(client_loop(client)) for _ in range(concurrency)]
        windows = await _windows(completions, limits)
        stop.set()
        await asyncio.gather(*workers)
    return _closed_measurement(request, parameters, windows, completions, limits)


async def _windows(completions: list[Completion], limits: LoadLimits) -> list[Window]:
    settings = limits.settings()
    windows: list[Window] = []
    start = time.perf_counter_ns()
    while len(windows) < limits.max_windows and len(completions) < limits.max_requests:
        await asyncio.sleep(limits.window_s)
        end = time.perf_counter_ns()
        done = [c for c in completions if start <= c.end_ns < end and 200 <= c.status < 300]
        windows.append(Window(np.array([c.latency_ns for c in done], dtype=np.int64), end - start, len(done)))
        start = end
        if is_stable(windows, settings):
            break
    return windows


def _closed_measurement(
    request: Request,
    parameters: dict,
    windows: list[Window],
    completions: list[Completion],
    limits: LoadLimits,
) -> Measurement:
    errors = sum(1 for c in completions if not 200 <= c.status < 300)
    figures = _status_figures(completions) if completions else {}
    reported = windows[-limits.stable_windows :]
    if not any(w.items for w in reported):
        return Measurement(
            mode="http",
            name=request.name,
            parameters=parameters,
            status="failed",
            reason=f"no successful responses ({errors} errors of {len(completions)} requests)",
            errors=errors,
            figures=figures,
        )
    result = summarise(windows, limits.settings())
    return Measurement(
        mode="http",
        name=request.name,
        parameters=parameters,
        latency=result.latency,
        throughput_per_s=result.throughput_per_s,
        throughput_unit="requests",
        stability=result.stability,
        errors=errors,
        figures=figures,
    )


async def open_loop(
    base_url: str,
    request: Request,
    *,
    rate_per_s: float,
    duration_s: float,
    limits: LoadLimits,
    seed: int = 0,
) -> Measurement:
    """Poisson arrivals at `rate_per_s` for `duration_s` (at most `max_requests`), latency from arrival."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / rate_per_s, size=limits.max_requests))
    arrivals = arrivals[arrivals < duration_s]
    completions: list[Completion] = []

    async def one(client: aiohttp.ClientSession, scheduled_ns: int) -> None:
        status = await _send(client, request)
        end = time.perf_counter_ns()
        completions.append(Completion(end, end - scheduled_ns, status))

    # Arrivals beyond the connection pool wait in the client; their latency still counts from arrival.
    async with _client(base_url, limits.open_loop_connections, limits) as client:
        await asyncio.gather(*(_send(client, request) for _ in range(limits.warmup_requests)))
        origin = time.perf_counter_ns()
        tasks = []
        for offset in arrivals:
            scheduled = origin + int(offset * 1e9)
            delay = (scheduled - time.perf_counter_ns()) / 1e9
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(client, scheduled)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter_ns() - origin
    return _open_measurement(
        request,
        rate_per_s=rate_per_s,
        duration_s=duration_s,
        completions=completions,
        elapsed_ns=elapsed,
        limits=limits,
    )


def _open_measurement(
    request: Request,
    *,
    rate_per_s: float,
    duration_s: float,
    completions: list[Completion],
    elapsed_ns: int,
    limits: LoadLimits,
) -> Measurement:
    parameters: dict[str, ParameterValue] = {
        "load": "open",
        "rate_per_s": round(rate_per_s, 2),
        "duration_s": duration_s,
        "method": request.method,
        "path": request.path,
    }
    ok = [c for c in completions if 200 <= c.status < 300]
    errors = len(completions) - len(ok)
    if not ok:
        return Measurement(
            mode="http",
            name=request.name,
            parameters=parameters,
            status="failed",
            reason="no successful responses",
        )
    per_second = _per_second_windows(ok)
    return Measurement(
        mode="http",
        name=request.name,
        parameters=parameters,
        latency=latency_stats([c.latency_ns for c in ok]),
        throughput_per_s=len(ok) / (elapsed_ns / 1e9),
        throughput_unit="requests",
        stability=Stability(
            stable=is_stable(per_second, limits.settings()),
            tolerance=limits.tolerance,
            windows=len(per_second),
            window_p50_ms=[round(w.p50_ms, 6) for w in per_second],
            window_throughput_per_s=[round(w.throughput_per_s, 6) for w in per_second],
        ),
        errors=errors,
        figures={"offered": float(len(completions)), **_status_figures(completions)},
    )


def _per_second_windows(completions: list[Completion]) -> list[Window]:
    first = min(c.end_ns for c in completions)
    buckets: dict[int, list[int]] = {}
    for c in completions:
        buckets.setdefault((c.end_ns - first) // 1_000_000_000, []).append(c.latency_ns)
    return [
        Window(np.array(latencies, dtype=np.int64), 1_000_000_000, len(latencies))
        for _, latencies in sorted(buckets.items())
    ]
