"""The FastAPI application: routers per concern, model manager, hot reload, admission control, metrics."""

from __future__ import annotations

import asyncio
import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from threadpoolctl import threadpool_limits

from voxrank.serving import __version__
from voxrank.serving.api.admission import Admission
from voxrank.serving.api.errors import install_error_handlers
from voxrank.serving.api.lifecycle import Lifecycle
from voxrank.serving.api.metrics import ServingMetrics
from voxrank.serving.api.middleware import RequestContextMiddleware
from voxrank.serving.api.routes import diarize, health, models, stream
from voxrank.serving.api.security import api_key_dependency
from voxrank.serving.models.manager import ModelManager
from voxrank.serving.models.reload import RepositoryWatcher
from voxrank.serving.settings import ServingSettings
from voxrank.serving.web import router as web_router

DESCRIPTION = """
Speaker diarization (and the two-tower recommender) on ONNX Runtime.

Models come from a model repository and are hot-reloaded: a new version is validated and warmed up
before it replaces the serving one. Requests beyond the concurrency and queue limits get **503** with
`Retry-After`; every response carries `X-Request-ID`.
"""
RECOMMEND_ROUTER = "voxrank.serving.recommend.api"


def create_app(settings: ServingSettings | None = None) -> FastAPI:
    settings = settings or ServingSettings()
    metrics = ServingMetrics()
    manager = ModelManager(settings, observer=metrics.observe_reload)
    lifecycle = Lifecycle()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        admission = Admission(settings.max_concurrency, settings.max_queue)
        app.state.admission = admission
        metrics.queued.set_function(lambda: admission.queued)
        blas = threadpool_limits(limits=settings.blas_threads or None, user_api="blas")
        await asyncio.to_thread(manager.start)
        _freeze_startup_objects()
        watcher = RepositoryWatcher(manager, settings)
        watcher.start()
        lifecycle.started = True
        try:
            yield
        finally:
            lifecycle.begin_drain()
            await watcher.stop()
            admission.close()
            manager.close()
            gc.unfreeze()
            blas.restore_original_limits()

    app = FastAPI(title="voxrank serving", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.manager = manager
    app.state.metrics = metrics
    app.state.lifecycle = lifecycle
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    install_error_handlers(app)
    # Without keys the routes are open, and the OpenAPI document says so (no security scheme).
    authenticated = [Depends(api_key_dependency(settings))] if settings.auth_enabled else []
    app.include_router(health.router)
    app.include_router(models.router, dependencies=authenticated)
    app.include_router(diarize.router, dependencies=authenticated)
    app.include_router(stream.router)  # checks the API key itself: it must answer over the socket
    app.include_router(web_router)
    recommend = _optional_router(RECOMMEND_ROUTER)
    if recommend is not None:
        app.include_router(recommend, dependencies=authenticated)
    return app


def _freeze_startup_objects() -> None:
    """Move what startup created (modules, sessions, the app) out of the cyclic collector's reach.

    Those objects live as long as the process, yet every full collection walks them all: with ONNX
    Runtime, scipy and FastAPI loaded that is a pause of tens of milliseconds in the middle of some
    request, and older-generation passes cost milliseconds. Frozen, they are skipped; requests' own
    garbage is still collected.
    """
    gc.collect()
    gc.freeze()


def _optional_router(module_name: str) -> APIRouter | None:
    """The `router` of a module that may not be part of this installation yet."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        # Only the module itself may be missing; a missing dependency inside it is a real error.
        if error.name and module_name.startswith(error.name):
            return None
        raise
    router: APIRouter = module.router
    return router
