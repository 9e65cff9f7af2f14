"""Merging modes, speed-up ratios from the same run, and the Markdown report."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from voxrank.serving.bench.environment import capture_environment, machine_label
from voxrank.serving.bench.report import REFERENCE_NETWORK, compare, merge, to_markdown
from voxrank.serving.bench.schema import BenchmarkReport, LatencyStats, Measurement


def _latency(p50: float) -> LatencyStats:
    return LatencyStats(
        count=10, mean_ms=p50, min_ms=p50, p50_ms=p50, p90_ms=p50, p95_ms=p50, p99_ms=p50 * 2, max_ms=p50 * 3
    )


def _measurement(mode: str, name: str, engine: str, p50: float, batch: int = 1) -> Measurement:
    parameters = {"engine": engine, "precision": "fp32", "provider": "cpu", "batch": batch, "input_s": 5.0}
    parameters["threads"] = 1
    return Measurement(
        mode=mode, name=name, parameters=parameters, latency=_latency(p50), throughput_per_s=1.0
    )


def test_ratios_pair_the_same_workload_only() -> None:
    measurements = [
        _measurement("model", "fastcnn", "onnxruntime", 1.0),
        _measurement("model", "fastcnn", "onnxruntime", 4.0, batch=8),
        _measurement("reference", "fastcnn", "torch-eager", 3.0),
        _measurement("reference", REFERENCE_NETWORK, "torch-eager", 12.0),
        _measurement("reference", "transformer", "torch-eager", 30.0),
    ]
    comparisons = {c.baseline: c for c in compare(measurements)}
    assert set(comparisons) == {"fastcnn fp32 [torch-eager]", f"{REFERENCE_NETWORK} fp32 [torch-eager]"}
    assert comparisons["fastcnn fp32 [torch-eager]"].ratio == pytest.approx(3.0)
    assert comparisons[f"{REFERENCE_NETWORK} fp32 [torch-eager]"].ratio == pytest.approx(12.0)


def test_an_export_of_another_checkpoint_is_not_compared_with_the_pytorch_model() -> None:
    older_int8 = _measurement("model", "fastcnn", "onnxruntime", 1.0)
    older_int8.parameters.update(precision="int8", checkpoint="aaa", version="fastcnn-int8 1.1.0")
    newest_fp32 = _measurement("model", "fastcnn", "onnxruntime", 2.0)
    newest_fp32.parameters.update(checkpoint="bbb", version="fastcnn 1.3.0")
    pytorch = _measurement("reference", "fastcnn", "torch-eager", 4.0)
    pytorch.parameters["checkpoint"] = "bbb"
    reference_network = _measurement("reference", REFERENCE_NETWORK, "torch-eager", 12.0)

    pairs = {(c.subject, c.baseline) for c in compare([older_int8, newest_fp32, pytorch, reference_network])}

    assert pairs == {
        ("fastcnn fp32 [onnxruntime]", "fastcnn fp32 [torch-eager]"),
        ("fastcnn fp32 [onnxruntime]", f"{REFERENCE_NETWORK} fp32 [torch-eager]"),
        ("fastcnn int8 [onnxruntime]", f"{REFERENCE_NETWORK} fp32 [torch-eager]"),
    }
    markdown = to_markdown(
        BenchmarkReport(environment=capture_environment(), measurements=[older_int8, newest_fp32, pytorch])
    )
    assert "| fastcnn | 1.1.0 | onnxruntime | int8 |" in markdown
    assert "| fastcnn | 1.3.0 | onnxruntime | fp32 |" in markdown


def test_merge_keeps_every_measurement_and_renders_markdown(tmp_path: Path) -> None:
    environment = capture_environment()
    model = BenchmarkReport(
        environment=environment, measurements=[_measurement("model", "fastcnn", "onnxruntime", 1.0)]
    )
    reference = BenchmarkReport(
        environment=environment, measurements=[_measurement("reference", "fastcnn", "torch-eager", 2.5)]
    )
    pipeline = Measurement(
        mode="pipeline",
        name="fastcnn",
        parameters={"audio_min": 60, "cores": 1},
        figures={"wall_s": 9.0, "rtf": 0.0025, "turns": 40},
    )
    merged = merge(
        [model, reference, BenchmarkReport(environment=environment, measurements=[pipeline])], "cpu"
    )
    assert len(merged.measurements) == 3
    assert [c.ratio for c in merged.comparisons] == [pytest.approx(2.5)]
    path = merged.write(tmp_path / "results.json")
    assert BenchmarkReport.read(path) == merged
    markdown = to_markdown(merged)
    for heading in ("Model inference (ONNX Runtime", "PyTorch reference", "Pipeline processing", "Speed-ups"):
        assert heading in markdown
    assert "| 0.00250 |" in markdown
    assert "2.50 |" in markdown


def test_merge_refuses_nothing() -> None:
    with pytest.raises(ValueError, match="no mode results"):
        merge([], "cpu")


def test_machine_label_names_the_gpu_when_there_is_one() -> None:
    assert machine_label("Intel(R) Xeon(R) CPU @ 2.20GHz", 2, None) == "intel-xeon-2core"
    assert machine_label("AMD EPYC 7B12", 16, "Tesla T4") == "tesla-t4"


def test_merge_keeps_the_environment_of_the_mode_that_ran_first() -> None:
    environment = capture_environment()
    later = BenchmarkReport(
        created_at=datetime(2026, 1, 1, 10, tzinfo=UTC),
        environment=environment.model_copy(update={"load_average_1m": 9.0}),
    )
    earlier = BenchmarkReport(
        created_at=datetime(2026, 1, 1, 9, tzinfo=UTC),
        environment=environment.model_copy(update={"load_average_1m": 1.0}),
    )
    merged = merge([later, earlier], "cpu")
    assert merged.environment.load_average_1m == 1.0
    assert merged.created_at == earlier.created_at
