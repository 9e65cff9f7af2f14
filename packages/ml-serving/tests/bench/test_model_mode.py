"""`model` mode against stand-in ONNX models with real ONNX Runtime sessions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from voxrank.serving.bench.measure import MeasureSettings
from voxrank.serving.bench.model import ModelTarget, Workload, measure_target, run_model_mode, workloads
from voxrank.serving.bench.providers import ProviderError, available, create_runner, require_gpu


def test_model_mode_measures_every_workload(standin_model: Path) -> None:
    target = ModelTarget("standin", "fp32", standin_model)
    plan = workloads(["cpu"], [1, 4], [0.5, 1.0], threads=1)
    results = list(run_model_mode([target], plan, MeasureSettings.quick()))
    assert len(results) == 4
    for measurement in results:
        assert measurement.status == "ok"
        assert measurement.latency is not None
        assert 0 < measurement.latency.p50_ms <= measurement.latency.p99_ms <= measurement.latency.max_ms
        assert measurement.throughput_per_s is not None and measurement.throughput_per_s > 0
        assert measurement.parameters["engine"] == "onnxruntime"
    batches = {(m.parameters["batch"], m.parameters["input_s"]) for m in results}
    assert batches == {(1, 0.5), (1, 1.0), (4, 0.5), (4, 1.0)}


def test_non_waveform_model_is_skipped_with_the_reason(two_input_model: Path) -> None:
    result = measure_target(
        ModelTarget("two", "fp32", two_input_model), Workload("cpu", 1, 1.0, 1), MeasureSettings.quick()
    )
    assert result.status == "skipped"
    assert "not a waveform model" in (result.reason or "")
    assert result.latency is None


@pytest.mark.skipif("cuda" in available(), reason="this check is about machines without CUDA")
def test_unavailable_provider_is_skipped_not_silently_replaced_by_cpu(standin_model: Path) -> None:
    result = measure_target(
        ModelTarget("standin", "fp32", standin_model), Workload("cuda", 1, 1.0, 1), MeasureSettings.quick()
    )
    assert result.status == "skipped"
    assert "not available" in (result.reason or "")


def test_gpu_requirement_fails_without_cuda_unless_cpu_is_allowed() -> None:
    if "cuda" in available():
        assert "cuda" in require_gpu(allow_cpu=False)
        return
    with pytest.raises(ProviderError, match="--allow-cpu"):
        require_gpu(allow_cpu=False)
    assert require_gpu(allow_cpu=True) == ["cpu"]


def test_io_binding_runs_the_same_inference(standin_model: Path) -> None:
    feeds = {"waveform": np.random.default_rng(1).standard_normal((2, 3200)).astype(np.float32)}
    plain = create_runner(standin_model, "cpu", threads=1)(feeds)
    bound_runner = create_runner(standin_model, "cpu", threads=1, io_binding=True)
    assert bound_runner.uses_io_binding
    bound = bound_runner(feeds)
    for name, expected in plain.items():
        np.testing.assert_allclose(bound[name], expected, rtol=1e-6)


def test_unknown_provider_is_refused(standin_model: Path) -> None:
    with pytest.raises(ProviderError, match="unknown provider"):
        create_runner(standin_model, "rocm")
