"""The http mode's plan: network overhead (/healthz), a closed-loop /v1/diarize sweep, one open-loop rate."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from voxrank.serving.bench.loadtest import (
    LoadLimits,
    Request,
    closed_loop,
    open_loop,
    require_loopback,
    run_load,
)
from voxrank.serving.bench.schema import Measurement
from voxrank.serving.bench.synthetic import synthetic_conversation, wav_bytes

NETWORK_CONCURRENCY = (1, 8)
OPEN_LOOP_SHARE = 0.5
"""Offered open-loop rate as a share of the best closed-loop throughput, when no rate is given."""


def diarize_request(audio_s: float, api_key: str | None = None) -> Request:
    headers = {"Content-Type": "audio/wav", **({"X-API-Key": api_key} if api_key else {})}
    body = wav_bytes(synthetic_conversation(audio_s, seed=3).waveform)
    return Request(f"POST /v1/diarize ({audio_s:g} s WAV)", "POST", "/v1/diarize", body, headers)


def health_request() -> Request:
    return Request("GET /healthz", "GET", "/healthz")


def run_http_mode(
    url: str,
    audio_s: float,
    concurrencies: Sequence[int],
    limits: LoadLimits,
    *,
    open_loop_s: float,
    rate_per_s: float | None = None,
    api_key: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> Iterator[Measurement]:
    """Every measurement of the plan, in order; the open-loop rate defaults to half the best closed loop."""
    base = require_loopback(url)
    diarize = diarize_request(audio_s, api_key)
    for concurrency in NETWORK_CONCURRENCY:
        progress(f"network: GET /healthz c={concurrency}")
        yield _with_audio(run_load(closed_loop(base, health_request(), concurrency, limits)), None)
    best = 0.0
    for concurrency in concurrencies:
        progress(f"end-to-end: /v1/diarize c={concurrency}")
        measurement = run_load(closed_loop(base, diarize, concurrency, limits))
        best = max(best, measurement.throughput_per_s or 0.0)
        yield _with_audio(measurement, audio_s)
    rate = rate_per_s or best * OPEN_LOOP_SHARE
    if rate > 0 and open_loop_s > 0:
        progress(f"end-to-end: /v1/diarize open loop {rate:.1f}/s")
        yield _with_audio(
            run_load(open_loop(base, diarize, rate_per_s=rate, duration_s=open_loop_s, limits=limits)),
            audio_s,
        )


def _with_audio(measurement: Measurement, audio_s: float | None) -> Measurement:
    if audio_s is None:
        return measurement
    return measurement.model_copy(update={"parameters": {**measurement.parameters, "audio_s": audio_s}})
