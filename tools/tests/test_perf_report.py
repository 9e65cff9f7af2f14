"""tools/perf_report.py: docs/PERFORMANCE_ANALYSIS.md generated from result files, checked by check_docs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tools import check_docs, perf_report

ENVIRONMENT = {
    "machine": "test-cpu-2core",
    "cpu_model": "Test CPU",
    "cpu_count_usable": 2,
    "cpu_count_logical": 2,
    "gpu_name": None,
    "python": "3.11.7",
    "libraries": {"onnxruntime": "1.31.1"},
}
WORKLOAD = {"provider": "cpu", "batch": 1, "input_s": 5.0, "threads": 1}


def _latency(p50: float, p99: float) -> dict[str, Any]:
    return {
        "count": 600,
        "mean_ms": p50,
        "min_ms": p50,
        "p50_ms": p50,
        "p90_ms": p99,
        "p95_ms": p99,
        "p99_ms": p99,
        "max_ms": p99 * 1.5,
        "quantiles_ms": [],
    }


def _model(
    name: str, engine: str, precision: str, p50: float, p99: float, *, mode: str = "model"
) -> dict[str, Any]:
    return {
        "mode": mode,
        "name": name,
        "status": "ok",
        "errors": 0,
        "figures": {},
        "parameters": {"engine": engine, "precision": precision, **WORKLOAD},
        "latency": _latency(p50, p99),
        "throughput_per_s": 1000 / p50,
        "stability": {
            "stable": True,
            "tolerance": 0.1,
            "windows": 3,
            "window_p50_ms": [],
            "window_throughput_per_s": [],
        },
    }


def _comparison(subject: str, baseline: str, ratio: float) -> dict[str, Any]:
    return {
        "name": f"{subject} vs {baseline}",
        "subject": subject,
        "baseline": baseline,
        "workload": "batch 1, 5 s input, 1 thread, cpu",
        "statistic": "p50",
        "subject_ms": 1.0,
        "baseline_ms": ratio,
        "ratio": ratio,
    }


def result(p99_fp32: float = 1.61, rtf: float = 0.0031, http_p99: float = 19.4) -> dict[str, Any]:
    http = {
        "mode": "http",
        "name": "POST /v1/diarize (5 s WAV)",
        "status": "ok",
        "errors": 0,
        "parameters": {"load": "closed", "concurrency": 8},
        "latency": _latency(9.8, http_p99),
        "throughput_per_s": 700.0,
        "figures": {},
        "stability": None,
    }
    network = {**http, "name": "GET /healthz", "latency": _latency(0.9, 2.1)}
    pipeline = {
        "mode": "pipeline",
        "name": "diarization-fastcnn",
        "status": "ok",
        "errors": 0,
        "parameters": {"precision": "fp32", "audio_min": 60.0, "cores": 1},
        "latency": None,
        "throughput_per_s": 1 / rtf,
        "figures": {
            "audio_s": 3600.0,
            "wall_s": 3600 * rtf,
            "inference_s": 3000 * rtf,
            "postprocessing_s": 600 * rtf,
            "rtf": rtf,
        },
    }
    retrieval = {
        "mode": "external",
        "name": "retrieval",
        "status": "ok",
        "errors": 0,
        "reason": None,
        "parameters": {},
        "latency": None,
        "figures": {"stores.exact.p99_ms": 33.8, "stores.exact.build_s": 0.02},
    }
    external = {
        "mode": "external",
        "name": "data-sync",
        "status": "skipped",
        "errors": 0,
        "reason": "voxrank-sync is not installed",
        "parameters": {},
        "figures": {},
        "latency": None,
    }
    return {
        "schema_version": "voxrank-bench/1",
        "created_at": "2026-11-21T09:00:00Z",
        "suite": "cpu",
        "environment": ENVIRONMENT,
        "measurements": [
            _model("diarization-fastcnn", "onnxruntime", "fp32", 1.02, p99_fp32),
            _model("diarization-fastcnn", "onnxruntime", "int8", 0.71, 1.18),
            _model("diarization-fastcnn", "torch-eager", "fp32", 3.3, 4.9, mode="reference"),
            _model("reference-pyannote-segmentation", "torch-eager", "fp32", 18.2, 25.0, mode="reference"),
            pipeline,
            network,
            http,
            external,
            retrieval,
        ],
        "comparisons": [
            _comparison(
                "diarization-fastcnn fp32 [onnxruntime]", "diarization-fastcnn fp32 [torch-eager]", 3.24
            ),
            _comparison(
                "diarization-fastcnn fp32 [onnxruntime]", "diarization-fastcnn fp32 [torch-compile]", 1.9
            ),
            _comparison(
                "diarization-fastcnn fp32 [onnxruntime]",
                "reference-pyannote-segmentation fp32 [torch-eager]",
                17.8,
            ),
        ],
    }


def _write(folder: Path, name: str, data: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def test_report_has_the_four_terms_and_a_section_per_term(tmp_path: Path) -> None:
    results = _write(tmp_path / "results", "cpu-test-cpu-2core", result())
    text = perf_report.render(perf_report.load_results(results), results)
    for term in ("**Model inference**", "**Pipeline processing**", "**Network**", "**End-to-end**"):
        assert term in text
    for section in (
        "### Model inference",
        "### Pipeline processing",
        "### Network",
        "### End-to-end",
        "### Registered benchmarks",
    ):
        assert section in text
    assert "voxrank-sync is not installed" in text
    assert "| retrieval | stores.exact.p99_ms | 33.8 |" in text
    assert "stores.exact.build_s" not in text  # kept in the result file, not a headline figure


def test_targets_read_measured_values_and_say_whether_they_are_met(tmp_path: Path) -> None:
    results = _write(tmp_path / "results", "cpu-test", result(p99_fp32=2.4, rtf=0.0031, http_p99=19.4))
    text = perf_report.render(perf_report.load_results(results), results)
    eager = "fastcnn ONNX Runtime speed-up over PyTorch eager (P50) (fp32)"
    assert sum(line.startswith(f"| {eager} |") for line in text.splitlines()) == 1  # not the compile ratio
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "2.40 ms | **no**" in rows["fastcnn model inference P99, 5 s window, batch 1, one thread (fp32)"]
    assert "1.18 ms | yes" in rows["fastcnn model inference P99, 5 s window, batch 1, one thread (int8)"]
    assert "3.24x faster | yes" in rows[eager]
    assert (
        "17.8x faster | yes" in rows["fastcnn speed-up over the pyannote-architecture reference (P50) (fp32)"]
    )
    assert "RTF 0.00310 | yes" in rows["pipeline processing RTF, 60 min of audio, one core (fp32)"]
    assert "19.4 ms | yes" in rows["end-to-end P99, POST /v1/diarize, concurrency 8 (5 s WAV)"]


def test_a_missing_measurement_is_reported_not_invented(tmp_path: Path) -> None:
    data = result()
    data["measurements"] = [m for m in data["measurements"] if m["mode"] != "pipeline"]
    results = _write(tmp_path / "results", "cpu-test", data)
    text = perf_report.render(perf_report.load_results(results), results)
    assert "| pipeline processing RTF, 60 min of audio, one core | ≤ 0.005 | not measured |" in text


def test_every_figure_in_the_generated_report_is_backed(tmp_path: Path) -> None:
    results = _write(tmp_path / "docs" / "results", "cpu-test", result())
    (tmp_path / "docs" / "PERFORMANCE_ANALYSIS.md").write_text(
        perf_report.render(perf_report.load_results(results), results), encoding="utf-8"
    )
    assert check_docs.unbacked(tmp_path, results) == []


def test_files_of_another_schema_are_ignored_and_no_results_say_so(tmp_path: Path) -> None:
    results = _write(tmp_path / "results", "other", {"schema_version": "something-else"})
    text = perf_report.render(perf_report.load_results(results), results)
    assert "No result files yet: run `nox -s bench`." in text


def test_check_mode_fails_on_a_stale_document(tmp_path: Path) -> None:
    results = _write(tmp_path / "results", "cpu-test", result())
    out = tmp_path / "PERFORMANCE_ANALYSIS.md"
    assert perf_report.main(["--results", str(results), "--out", str(out)]) == 0
    assert perf_report.main(["--results", str(results), "--out", str(out), "--check"]) == 0
    _write(results, "cpu-test", result(p99_fp32=1.9))
    assert perf_report.main(["--results", str(results), "--out", str(out), "--check"]) == 1


@pytest.mark.parametrize(
    ("value", "text"), [(0.00412, "0.00412"), (1.234, "1.23"), (18.25, "18.2"), (2310.0, "2,310.0")]
)
def test_numbers_are_printed_without_exponents(value: float, text: str) -> None:
    assert perf_report.formatted(value) == text
