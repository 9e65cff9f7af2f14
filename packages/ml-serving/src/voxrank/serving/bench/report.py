"""Merging the modes of one run into one result file, the ratios between engines, and Markdown tables."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from voxrank.serving.bench.schema import BenchmarkReport, Comparison, Measurement

RESULT_FILE = "results.json"
MARKDOWN_FILE = "results.md"
REFERENCE_NETWORK = "reference-pyannote-segmentation"
# Workload parameters that must agree for two measurements to be compared.
COMPARED_ON = ("provider", "batch", "input_s", "threads")


def merge(reports: Iterable[BenchmarkReport], suite: str) -> BenchmarkReport:
    """One report holding every mode's measurements, in the environment of the mode that ran first."""
    reports = list(reports)
    if not reports:
        raise ValueError("no mode results to merge")
    measurements = [m for report in reports for m in report.measurements]
    first = min(reports, key=lambda report: report.created_at)
    return BenchmarkReport(
        suite=suite,
        created_at=first.created_at,
        environment=first.environment,
        measurements=measurements,
        comparisons=compare(measurements),
    )


def read_mode_reports(run_dir: Path) -> list[BenchmarkReport]:
    """Every per-mode result file in `run_dir` (the merged results.json excluded)."""
    paths = sorted(p for p in run_dir.glob("*.json") if p.name != RESULT_FILE)
    if not paths:
        raise FileNotFoundError(f"no benchmark result files (*.json) in {run_dir}")
    return [BenchmarkReport.read(path) for path in paths]


def measurement_label(measurement: Measurement) -> str:
    p = measurement.parameters
    precision = f" {p['precision']}" if p.get("precision") else ""
    return f"{measurement.name}{precision} [{p.get('engine')}]"


def _workload(measurement: Measurement) -> tuple[object, ...]:
    return tuple(measurement.parameters.get(key) for key in COMPARED_ON)


def workload_label(measurement: Measurement) -> str:
    p = measurement.parameters
    threads = "1 thread" if p.get("threads") == 1 else f"{p.get('threads')} threads"
    return f"batch {p.get('batch')}, {p.get('input_s'):g} s input, {threads}, {p.get('provider')}"


def _ratio(subject: Measurement, baseline: Measurement) -> Comparison | None:
    if subject.latency is None or baseline.latency is None:
        return None
    workload = workload_label(subject)
    return Comparison(
        name=f"{measurement_label(subject)} vs {measurement_label(baseline)} ({workload})",
        subject=measurement_label(subject),
        baseline=measurement_label(baseline),
        workload=workload,
        statistic="p50",
        subject_ms=subject.latency.p50_ms,
        baseline_ms=baseline.latency.p50_ms,
        ratio=baseline.latency.p50_ms / subject.latency.p50_ms,
    )


def compare(measurements: list[Measurement]) -> list[Comparison]:
    """ONNX Runtime against PyTorch (same model) and against the pyannote-architecture reference.

    Every ratio is computed from two measurements of the same run and the same workload, so a
    speed-up is never a number from one machine divided by a number from another.
    """
    ok = [m for m in measurements if m.status == "ok" and m.latency is not None]
    onnx = [m for m in ok if m.mode == "model"]
    torch = [m for m in ok if m.mode == "reference"]
    comparisons = []
    for subject in onnx:
        for baseline in torch:
            same_model = baseline.name == subject.name and _same_checkpoint(subject, baseline)
            if (same_model or baseline.name == REFERENCE_NETWORK) and _workload(baseline) == _workload(
                subject
            ):
                comparison = _ratio(subject, baseline)
                if comparison is not None:
                    comparisons.append(comparison)
    return comparisons


def _same_checkpoint(subject: Measurement, baseline: Measurement) -> bool:
    # An older export (say an int8 that failed its gate on the newest checkpoint) is another network:
    # timing it against the newest checkpoint in PyTorch would not be a speed-up of the same model.
    ours, theirs = subject.parameters.get("checkpoint"), baseline.parameters.get("checkpoint")
    return ours is None or theirs is None or ours == theirs


def _ms(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:,.1f}"


_LATENCY_HEADER = "P50 ms | P90 ms | P95 ms | P99 ms | max ms | throughput /s | stable"


def _latency_cells(m: Measurement) -> str:
    if m.latency is None:
        return f"{m.status}: {m.reason or ''} | | | | | |"
    lat = m.latency
    stable = "" if m.stability is None else ("yes" if m.stability.stable else "no")
    unit = f" {m.throughput_unit}" if m.throughput_unit else ""
    percentiles = " | ".join(_ms(v) for v in (lat.p50_ms, lat.p90_ms, lat.p95_ms, lat.p99_ms, lat.max_ms))
    return f"{percentiles} | {_rate(m.throughput_per_s)}{unit} | {stable}"


def _table(header: str, rows: list[str]) -> list[str]:
    columns = header.count("|") + 1
    return [f"| {header} |", "|" + " --- |" * columns, *rows, ""]


def _model_rows(measurements: list[Measurement]) -> list[str]:
    rows = []
    for m in measurements:
        p = m.parameters
        rows.append(
            f"| {m.name} | {_version(m)} | {p.get('engine')} | {p.get('precision') or ''} | "
            f"{p.get('provider')} | {p.get('batch')} | {p.get('input_s')} | {p.get('threads')} | "
            f"{_latency_cells(m)} |"
        )
    return rows


def _version(m: Measurement) -> str:
    # Recorded as "<repository name> <version>"; the model column already names the model.
    return str(m.parameters.get("version") or "").rpartition(" ")[2]


def _pipeline_rows(measurements: list[Measurement]) -> list[str]:
    rows = []
    for m in measurements:
        p, f = m.parameters, m.figures
        precision = p.get("precision") or ""
        model = f"| {m.name} | {_version(m)} | {precision} | {p.get('audio_min')} | {p.get('cores')} |"
        if m.status != "ok":
            rows.append(f"{model} {m.status}: {m.reason} | | |")
            continue
        rows.append(f"{model} {f['wall_s']:.2f} | {f['rtf']:.5f} | {f.get('turns', 0):.0f} |")
    return rows


def _http_rows(measurements: list[Measurement]) -> list[str]:
    rows = []
    for m in measurements:
        p = m.parameters
        load = (
            f"{p.get('concurrency')} in flight"
            if p.get("load") == "closed"
            else f"{p.get('rate_per_s')}/s offered"
        )
        rows.append(
            f"| {m.name} | {p.get('load')} | {load} | {m.latency.count if m.latency else 0} | {m.errors} | "
            f"{_latency_cells(m)} |"
        )
    return rows


def _external_rows(measurements: list[Measurement]) -> list[str]:
    rows = []
    for m in measurements:
        figures = ", ".join(f"{k} = {v:,.3f}" for k, v in sorted(m.figures.items()))
        rows.append(f"| {m.name} | {m.status} | {m.reason or figures} |")
    return rows


def to_markdown(report: BenchmarkReport) -> str:
    env = report.environment
    gpu = env.gpu_name or "none"
    lines = [
        f"# Benchmark results: {report.suite} suite on {env.machine}",
        "",
        f"Run {report.created_at:%Y-%m-%d %H:%M UTC}; CPU {env.cpu_model}, "
        f"{env.cpu_count_usable} usable cores of {env.cpu_count_logical} (load average {env.load_average_1m} "
        f"during the run); GPU {gpu}; Python {env.python}; "
        + ", ".join(f"{k} {v}" for k, v in sorted(env.libraries.items())),
        "",
    ]
    by_mode = {mode: [m for m in report.measurements if m.mode == mode] for mode in ("model", "reference")}
    engine_columns = (
        f"model | version | engine | precision | provider | batch | input s | threads | {_LATENCY_HEADER}"
    )
    sections = [
        ("Model inference (ONNX Runtime, in process)", engine_columns, _model_rows(by_mode["model"])),
        ("Model inference (PyTorch reference)", engine_columns, _model_rows(by_mode["reference"])),
        (
            "Pipeline processing (real-time factor = processing time / audio duration)",
            "model | version | precision | audio min | cores | wall s | RTF | turns",
            _pipeline_rows([m for m in report.measurements if m.mode == "pipeline"]),
        ),
        (
            "End-to-end (HTTP on loopback)",
            f"request | load | level | requests | errors | {_LATENCY_HEADER}",
            _http_rows([m for m in report.measurements if m.mode == "http"]),
        ),
        (
            "Registered benchmarks",
            "benchmark | status | figures",
            _external_rows([m for m in report.measurements if m.mode == "external"]),
        ),
    ]
    for title, header, rows in sections:
        if rows:
            lines += [f"## {title}", "", *_table(header, rows)]
    if report.comparisons:
        rows = [
            f"| {c.subject} | {c.baseline} | {c.workload} | {_ms(c.subject_ms)} | "
            f"{_ms(c.baseline_ms)} | {c.ratio:.2f} |"
            for c in report.comparisons
        ]
        header = "subject | baseline | workload | subject P50 ms | baseline P50 ms | speed-up (x)"
        lines += ["## Speed-ups (same run, same workload)", "", *_table(header, rows)]
    return "\n".join(lines)
