"""What every inference route does around its own work: find the serving model, run inside admission
control, map overload, timeout and unloaded models to 503/504, and label the request's metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import onnxruntime as ort
from starlette.requests import HTTPConnection

from voxrank.serving.api.admission import Admission, OverloadedError, RequestTimeoutError
from voxrank.serving.api.errors import ApiError
from voxrank.serving.api.metrics import ServingMetrics
from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.models.manager import ModelManager, ModelUnavailableError
from voxrank.serving.settings import ServingSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Admitted(Generic[T]):
    result: T
    queue_s: float
    """Time the request waited for an inference slot."""


def serving_model(request: HTTPConnection, name: str, task: str | None = None) -> LoadedModel:
    """The version serving `name`: 404 when the server does not serve it, 503 (with Retry-After) while no
    version has loaded, 422 when `task` is given and the model is of another task."""
    manager: ModelManager = request.app.state.manager
    settings: ServingSettings = request.app.state.settings
    try:
        slot = manager.slot(name)
    except ModelUnavailableError as error:
        raise ApiError(404, str(error)) from error
    if slot.current is None:
        raise ApiError(
            503,
            f"model {name!r} has no version loaded yet ({slot.state})",
            {"Retry-After": str(settings.retry_after_s)},
        )
    if task is not None and slot.current.manifest.task != task:
        raise ApiError(422, f"model {name!r} is a {slot.current.manifest.task} model, not a {task} model")
    return slot.current


async def run_admitted(
    request: HTTPConnection, model_name: str, job: Callable[[ort.RunOptions], T]
) -> Admitted[T]:
    """Run `job(run_options)` in a worker thread within the concurrency, queue and time limits.

    The job should take `manager.lease(model_name)` itself, so a reload drains around it. Errors of
    the job's own domain propagate unchanged for the route to map.
    """
    settings: ServingSettings = request.app.state.settings
    admission: Admission = request.app.state.admission
    metrics: ServingMetrics = request.app.state.metrics
    queued: list[float] = []
    try:
        result = await admission.run(job, settings.request_timeout_s, on_start=queued.append)
    except OverloadedError as error:
        metrics.rejected.labels(reason="overloaded").inc()
        raise ApiError(
            503,
            f"server is at capacity ({admission.capacity} requests running or queued); retry later",
            {"Retry-After": str(settings.retry_after_s)},
        ) from error
    except RequestTimeoutError as error:
        metrics.rejected.labels(reason="timeout").inc()
        raise ApiError(
            504, f"request took longer than {settings.request_timeout_s:g} s and was cancelled"
        ) from error
    except ModelUnavailableError as error:
        raise ApiError(503, str(error), {"Retry-After": str(settings.retry_after_s)}) from error
    queue_s = queued[0] if queued else 0.0
    metrics.queue.labels(model=model_name).observe(queue_s)
    return Admitted(result, queue_s)


def label_request(request: HTTPConnection, model: LoadedModel) -> None:
    """Label the request's latency metric with the model version that served it."""
    request.state.model_labels = {"model": model.name, "version": model.version, "provider": model.provider}
