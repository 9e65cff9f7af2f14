"""Latency measurement: warm-up excluded, fixed-size windows, stability as in Triton's perf_analyzer.

perf_analyzer measures in windows and reports once the last three windows agree within a stability
percentage (10% by default). We do the same for the median latency and the throughput of each
window, bounded by a maximum number of windows and a time budget; a run that never settles is
reported with `stable: false` instead of being hidden.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voxrank.serving.bench.schema import LatencyStats, Stability

NS_PER_MS = 1e6


@dataclass(frozen=True)
class MeasureSettings:
    """How long to warm up and how much to measure; the defaults suit millisecond workloads."""

    warmup_iterations: int = 20
    warmup_s: float = 0.5
    window_iterations: int = 200
    window_s: float = 0.5
    window_max_s: float = 4.0
    """A window of a slow workload closes here even short of `window_iterations` (after 5 at least)."""
    stable_windows: int = 3
    max_windows: int = 6
    tolerance: float = 0.10
    budget_s: float = 15.0

    @classmethod
    def quick(cls) -> MeasureSettings:
        """Small windows for tests and smoke runs: the figures are real but noisier."""
        return cls(
            warmup_iterations=3,
            warmup_s=0.0,
            window_iterations=20,
            window_s=0.05,
            window_max_s=0.5,
            max_windows=4,
            budget_s=2.0,
        )


@dataclass(frozen=True)
class Window:
    latencies_ns: np.ndarray
    elapsed_ns: int
    items: int

    @property
    def p50_ms(self) -> float:
        """0 for a window in which nothing finished, which no stable run can have."""
        if self.latencies_ns.size == 0:
            return 0.0
        return float(np.percentile(self.latencies_ns, 50)) / NS_PER_MS

    @property
    def throughput_per_s(self) -> float:
        return self.items / (self.elapsed_ns / 1e9) if self.elapsed_ns else 0.0


@dataclass(frozen=True)
class Result:
    latency: LatencyStats
    throughput_per_s: float
    stability: Stability


def latency_stats(latencies_ns: np.ndarray | Sequence[float]) -> LatencyStats:
    """Percentiles of latencies given in nanoseconds, reported in milliseconds."""
    values = np.asarray(latencies_ns, dtype=np.float64) / NS_PER_MS
    if values.size == 0:
        raise ValueError("no latency samples to summarise")
    quantiles = np.percentile(values, np.arange(101))
    p50, p90, p95, p99 = np.percentile(values, [50, 90, 95, 99])
    return LatencyStats(
        count=int(values.size),
        mean_ms=float(values.mean()),
        min_ms=float(values.min()),
        p50_ms=float(p50),
        p90_ms=float(p90),
        p95_ms=float(p95),
        p99_ms=float(p99),
        max_ms=float(values.max()),
        quantiles_ms=[round(float(q), 5) for q in quantiles],
    )


def windows_agree(values: Sequence[float], tolerance: float) -> bool:
    """True when the largest value is within `tolerance` of the smallest (all positive)."""
    low, high = min(values), max(values)
    return low > 0 and (high - low) / low <= tolerance


def is_stable(windows: Sequence[Window], settings: MeasureSettings) -> bool:
    last = windows[-settings.stable_windows :]
    if len(last) < settings.stable_windows:
        return False
    return windows_agree([w.p50_ms for w in last], settings.tolerance) and windows_agree(
        [w.throughput_per_s for w in last], settings.tolerance
    )


def summarise(windows: Sequence[Window], settings: MeasureSettings) -> Result:
    """Statistics over the last `stable_windows` windows, the ones the stability verdict is about."""
    reported = windows[-settings.stable_windows :]
    latencies = np.concatenate([w.latencies_ns for w in reported])
    elapsed = sum(w.elapsed_ns for w in reported)
    items = sum(w.items for w in reported)
    return Result(
        latency=latency_stats(latencies),
        throughput_per_s=items / (elapsed / 1e9) if elapsed else 0.0,
        stability=Stability(
            stable=is_stable(windows, settings),
            tolerance=settings.tolerance,
            windows=len(windows),
            window_p50_ms=[round(w.p50_ms, 6) for w in windows],
            window_throughput_per_s=[round(w.throughput_per_s, 6) for w in windows],
        ),
    )


def measure(call: Callable[[], object], settings: MeasureSettings, items_per_call: int = 1) -> Result:
    """Time `call` sequentially (one in flight): warm up, then measure windows until stable."""
    _warm_up(call, settings)
    deadline = time.perf_counter_ns() + int(settings.budget_s * 1e9)
    windows: list[Window] = []
    while len(windows) < settings.max_windows:
        windows.append(_window(call, settings, items_per_call))
        if is_stable(windows, settings):
            break
        if time.perf_counter_ns() > deadline and len(windows) >= settings.stable_windows:
            break
    return summarise(windows, settings)


def _warm_up(call: Callable[[], object], settings: MeasureSettings) -> None:
    # Warm-up pays for lazy allocation, kernel selection and cache misses; none of it is measured.
    end = time.perf_counter() + settings.warmup_s
    done = 0
    while done < settings.warmup_iterations or time.perf_counter() < end:
        call()
        done += 1


def _window(call: Callable[[], object], settings: MeasureSettings, items_per_call: int) -> Window:
    latencies: list[int] = []
    start = time.perf_counter_ns()
    end = start + int(settings.window_s * 1e9)
    cutoff = start + int(settings.window_max_s * 1e9)
    while len(latencies) < settings.window_iterations or time.perf_counter_ns() < end:
        before = time.perf_counter_ns()
        call()
        latencies.append(time.perf_counter_ns() - before)
        if before > cutoff and len(latencies) >= 5:
            break
    elapsed = time.perf_counter_ns() - start
    return Window(np.asarray(latencies, dtype=np.int64), elapsed, len(latencies) * items_per_call)
