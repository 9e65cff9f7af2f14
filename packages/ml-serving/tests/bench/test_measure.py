"""The measurement harness: percentiles, the stability rule, warm-up exclusion."""

from __future__ import annotations

import time

import numpy as np
import pytest

from voxrank.serving.bench.measure import (
    MeasureSettings,
    Window,
    is_stable,
    latency_stats,
    measure,
    summarise,
    windows_agree,
)


def test_latency_stats_reports_percentiles_in_milliseconds() -> None:
    stats = latency_stats(np.arange(1, 101) * 1e6)  # 1 ms .. 100 ms
    assert stats.count == 100
    assert stats.min_ms == pytest.approx(1.0)
    assert stats.max_ms == pytest.approx(100.0)
    assert stats.p50_ms == pytest.approx(50.5)
    assert stats.p99_ms == pytest.approx(99.01)
    assert stats.mean_ms == pytest.approx(50.5)
    assert len(stats.quantiles_ms) == 101
    assert stats.quantiles_ms[0] == pytest.approx(1.0)
    assert stats.quantiles_ms[-1] == pytest.approx(100.0)


def test_latency_stats_refuses_no_samples() -> None:
    with pytest.raises(ValueError, match="no latency samples"):
        latency_stats([])


@pytest.mark.parametrize(
    ("values", "agree"),
    [([1.0, 1.05, 1.09], True), ([1.0, 1.2], False), ([0.0, 0.0], False)],
)
def test_windows_agree_within_tolerance(values: list[float], agree: bool) -> None:
    assert windows_agree(values, 0.10) is agree


def _window(latency_ms: float, count: int = 10) -> Window:
    latencies = np.full(count, latency_ms * 1e6, dtype=np.int64)
    return Window(latencies, int(latencies.sum()), count)


def test_stability_needs_the_last_three_windows_to_agree() -> None:
    settings = MeasureSettings()
    assert not is_stable([_window(1.0), _window(1.0)], settings)
    assert is_stable([_window(5.0), _window(1.0), _window(1.02), _window(1.05)], settings)
    assert not is_stable([_window(1.0), _window(1.0), _window(1.5)], settings)


def test_a_window_where_nothing_finished_is_never_stable() -> None:
    empty = Window(np.array([], dtype=np.int64), 1_000_000, 0)
    assert empty.p50_ms == 0.0
    assert not is_stable([_window(1.0), _window(1.0), empty], MeasureSettings())
    result = summarise([_window(1.0), _window(1.0), empty], MeasureSettings())
    assert result.latency.count == 20
    assert not result.stability.stable


def test_summary_uses_only_the_last_windows() -> None:
    settings = MeasureSettings()
    result = summarise([_window(50.0), _window(1.0), _window(1.0), _window(1.0)], settings)
    assert result.latency.max_ms == pytest.approx(1.0)
    assert result.latency.count == 30
    assert result.throughput_per_s == pytest.approx(1000.0)
    assert result.stability.windows == 4
    assert result.stability.stable


def test_measure_excludes_warm_up_and_counts_items() -> None:
    calls: list[int] = []
    settings = MeasureSettings(
        warmup_iterations=5, warmup_s=0.0, window_iterations=10, window_s=0.0, max_windows=3, budget_s=1.0
    )
    result = measure(lambda: calls.append(1), settings, items_per_call=4)
    measured = result.latency.count
    assert measured == 30
    assert len(calls) == measured + 5
    assert result.throughput_per_s > 0
    assert len(result.stability.window_throughput_per_s) == 3


def test_a_slow_call_closes_its_window_at_the_time_limit() -> None:
    settings = MeasureSettings(
        warmup_iterations=1,
        warmup_s=0.0,
        window_iterations=1000,
        window_s=0.0,
        window_max_s=0.02,
        max_windows=3,
    )
    result = measure(lambda: time.sleep(0.005), settings)
    assert 3 * 5 <= result.latency.count < 3 * 20
