"""Per-request bookkeeping as plain ASGI middleware: request id, access log, latency metric, in-flight gauge.

Plain ASGI (not BaseHTTPMiddleware) so streaming bodies and context variables pass through untouched.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxrank.serving.api.metrics import ServingMetrics
from voxrank.serving.api.structured_logging import request_id_var

log = logging.getLogger("voxrank.serving.access")

REQUEST_ID_HEADER = "x-request-id"
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def model_labels(scope: Scope) -> dict[str, str]:
    """Labels a handler stored for the model that served the request (empty when none did)."""
    labels: dict[str, Any] = scope.get("state", {}).get("model_labels", {})
    return {key: str(labels.get(key, "")) for key in ("model", "version", "provider")}


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = self._request_id(scope)
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((REQUEST_ID_HEADER.encode(), request_id.encode()))
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            self._record(scope, status, time.perf_counter() - started)
            request_id_var.reset(token)

    def _record(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "unmatched")
        self.metrics.requests.labels(route=route, status=str(status), **model_labels(scope)).observe(seconds)
        log.info(
            "%s %s %d",
            scope["method"],
            scope["path"],
            status,
            extra={"status": status, "duration_ms": round(seconds * 1000, 3), "route": route},
        )

    @staticmethod
    def _request_id(scope: Scope) -> str:
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER.encode():
                candidate = value.decode("latin-1")
                if _CLIENT_REQUEST_ID.match(candidate):
                    return candidate
        return uuid.uuid4().hex
