"""Liveness, readiness and the Prometheus scrape endpoint (no API key: probes and scrapers call them)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from voxrank.serving.api.schemas import Health

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers.")
async def healthz() -> Health:
    # Probes answer on the event loop: a worker-thread hop would cost more than the answer itself.
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness: required models loaded and warmed, not shutting down.",
    responses={
        503: {"model": Health, "description": "Not ready: loading, no valid model, or shutting down."}
    },
)
async def readyz(request: Request) -> Response:
    state = request.app.state
    if state.lifecycle.draining:
        return _unavailable("shutting down")
    if not state.lifecycle.started or not state.manager.ready():
        return _unavailable("required models are not loaded")
    return JSONResponse(Health(status="ok").model_dump())


@router.get(
    "/metrics",
    summary="Prometheus metrics.",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "Metrics."}
    },
)
def metrics(request: Request) -> Response:
    body = request.app.state.metrics.render(request.app.state.manager)
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def _unavailable(detail: str) -> JSONResponse:
    return JSONResponse(Health(status="unavailable", detail=detail).model_dump(), status_code=503)
