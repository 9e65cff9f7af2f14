"""Prometheus metrics of one app instance, in their own registry so several apps can share a process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from voxrank.serving.models.manager import ModelManager, ReloadResult

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
MODEL_LABELS = ("model", "version", "provider")


class ServingMetrics:
    """Request, queue and inference latency by model, version, provider and status; load and reloads."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "voxrank_request_duration_seconds",
            "Whole request, from the first byte read to the response.",
            ("route", *MODEL_LABELS, "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue = Histogram(
            "voxrank_queue_wait_seconds",
            "Time a request waited for an inference slot.",
            ("model",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inference = Histogram(
            "voxrank_inference_duration_seconds",
            "Decoding plus model pipeline of one request, inside its slot.",
            (*MODEL_LABELS, "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "voxrank_requests_in_flight", "Requests being handled now.", registry=self.registry
        )
        self.queued = Gauge(
            "voxrank_requests_queued", "Requests waiting for an inference slot.", registry=self.registry
        )
        self.rejected = Counter(
            "voxrank_requests_rejected_total",
            "Requests refused before inference, by reason.",
            ("reason",),
            registry=self.registry,
        )
        self.reloads = Counter(
            "voxrank_model_reloads_total",
            "Model versions loaded or rejected.",
            ("model", "outcome"),
            registry=self.registry,
        )
        self.serving = Gauge(
            "voxrank_model_serving",
            "1 for the version that serves each model, with its provider.",
            MODEL_LABELS,
            registry=self.registry,
        )

    def observe_reload(self, name: str, result: ReloadResult) -> None:
        self.reloads.labels(model=name, outcome=result.outcome).inc()

    def refresh_serving(self, manager: ModelManager) -> None:
        """Rebuild the serving gauge from the manager, so a swapped-out version disappears."""
        self.serving.clear()
        for slot in manager.slots():
            if slot.current is not None:
                current = slot.current
                self.serving.labels(
                    model=current.name, version=current.version, provider=current.provider
                ).set(1)

    def render(self, manager: ModelManager) -> bytes:
        self.refresh_serving(manager)
        return generate_latest(self.registry)
