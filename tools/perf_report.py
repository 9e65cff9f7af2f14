"""Generate docs/PERFORMANCE_ANALYSIS.md from the committed benchmark results in docs/results/*.json.

No number in that document is typed by hand: each comes from a result file that `nox -s bench` (CPU)
or `nox -s gpu_bench` (GPU) wrote with `voxrank-bench`. The document uses one set of terms - model
inference, pipeline processing, network, end-to-end - defined at its top. Standard library only, so
it runs in the lint and tools environments.

    python -m tools.perf_report                 # rewrite docs/PERFORMANCE_ANALYSIS.md
    python -m tools.perf_report --check         # exit 1 if the file is not what the results give
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if not __package__:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.package_graph import ROOT

RESULTS_DIR = ROOT / "docs" / "results"
OUTPUT = ROOT / "docs" / "PERFORMANCE_ANALYSIS.md"
SCHEMA = "voxrank-bench/1"
REFERENCE_NETWORK = "reference-pyannote-segmentation"
LATENCY_MODEL = "diarization-fastcnn"
FIGURES = ("latency_cdf_model", "latency_cdf_reference", "latency_cdf_http", "throughput_vs_concurrency")

TERMS = """\
## Terms

- **Model inference**: one ONNX Runtime run of the segmentation model on a batch of windows, in
  process, inputs already in memory (`voxrank-bench model`). PyTorch timings of the same workloads
  (`voxrank-train bench-reference`) use the same harness.
- **Pipeline processing**: full diarization of a decoded waveform: cutting windows, model inference
  on every window, clustering local speakers, aggregating turns (`voxrank-bench pipeline`). Reported
  as the real-time factor (RTF): processing time divided by audio duration.
- **Network**: an HTTP round trip over loopback through the server's stack with no model work
  (`GET /healthz`): the floor under every end-to-end figure.
- **End-to-end**: what a client sees for `POST /v1/diarize` with a WAV upload over loopback: network,
  decoding, admission queue, pipeline processing and the JSON response (`voxrank-bench http`).

Latencies come from measurement windows that must agree within 10% (the perf_analyzer rule); a row
marked "no" in the stable column did not settle within its bounds on this shared machine.
"""


@dataclass(frozen=True)
class Target:
    """A requirement from the issue tracker and how to read its measured value from one result file."""

    what: str
    bound: str
    measure: Callable[[dict[str, Any]], list[tuple[str, float]]]
    passes: Callable[[float], bool]
    unit: str


def _ok(measurements: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in measurements if m.get("status") == "ok"]


def _select(
    result: dict[str, Any], mode: str, name: str | None = None, **parameters: object
) -> list[dict[str, Any]]:
    return [
        m
        for m in _ok(result["measurements"])
        if m["mode"] == mode
        and (name is None or m["name"] == name)
        and all(m["parameters"].get(k) == v for k, v in parameters.items())
    ]


def _precision_version(parameters: dict[str, Any]) -> str:
    version = _version(parameters)
    return f"{parameters['precision']} {version}".strip()


def _fastcnn_p99(result: dict[str, Any]) -> list[tuple[str, float]]:
    rows = _select(result, "model", name=LATENCY_MODEL, batch=1, input_s=5.0, threads=1, provider="cpu")
    return [(_precision_version(m["parameters"]), m["latency"]["p99_ms"]) for m in rows]


def _ratios(baseline: str) -> Callable[[dict[str, Any]], list[tuple[str, float]]]:
    def ratios(result: dict[str, Any]) -> list[tuple[str, float]]:
        return [
            (c["subject"].split(" [")[0].removeprefix(LATENCY_MODEL).strip() or "fp32", c["ratio"])
            for c in result.get("comparisons", [])
            if c["subject"].startswith(LATENCY_MODEL)
            and c["baseline"].startswith(baseline)
            and c["workload"] == "batch 1, 5 s input, 1 thread, cpu"
        ]

    return ratios


def _rtf_hour(result: dict[str, Any]) -> list[tuple[str, float]]:
    rows = _select(result, "pipeline", name=LATENCY_MODEL, audio_min=60.0, cores=1)
    return [(_precision_version(m["parameters"]), m["figures"]["rtf"]) for m in rows]


def _http_p99(result: dict[str, Any]) -> list[tuple[str, float]]:
    rows = [m for m in _select(result, "http", load="closed", concurrency=8) if "diarize" in m["name"]]
    return [(m["name"].split("(")[-1].rstrip(")"), m["latency"]["p99_ms"]) for m in rows]


TARGETS = (
    Target(
        "fastcnn model inference P99, 5 s window, batch 1, one thread",
        "≤ 2 ms",
        _fastcnn_p99,
        lambda v: v <= 2.0,
        "ms",
    ),
    Target(
        "fastcnn ONNX Runtime speed-up over PyTorch eager (P50)",
        "≥ 2x",
        _ratios(f"{LATENCY_MODEL} fp32 [torch-eager]"),
        lambda v: v >= 2.0,
        "x faster",
    ),
    Target(
        "fastcnn speed-up over the pyannote-architecture reference (P50)",
        "≥ 5x",
        _ratios(REFERENCE_NETWORK),
        lambda v: v >= 5.0,
        "x faster",
    ),
    Target(
        "pipeline processing RTF, 60 min of audio, one core", "≤ 0.005", _rtf_hour, lambda v: v <= 0.005, ""
    ),
    Target(
        "end-to-end P99, POST /v1/diarize, concurrency 8", "≤ 25 ms", _http_p99, lambda v: v <= 25.0, "ms"
    ),
)


def formatted(value: float | None) -> str:
    """Three significant digits, never in exponent form (check_docs reads the text back)."""
    if value is None:
        return ""
    if value == 0 or abs(value) >= 100:
        return f"{value:,.1f}" if abs(value) < 1e4 else f"{value:,.0f}"
    decimals = max(0, 2 - math.floor(math.log10(abs(value))))
    return f"{value:.{decimals}f}"


def _measured(value: float, unit: str) -> str:
    if unit == "ms":
        return f"{formatted(value)} ms"
    if unit == "x faster":
        return f"{formatted(value)}x faster"
    return f"RTF {formatted(value)}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    if not rows:
        return []
    return [
        "| " + " | ".join(header) + " |",
        "|" + " --- |" * len(header),
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def _stable(m: dict[str, Any]) -> str:
    stability = m.get("stability")
    return "" if not stability else ("yes" if stability["stable"] else "no")


def _targets(results: list[tuple[str, dict[str, Any]]]) -> list[str]:
    rows = []
    for stem, result in results:
        for target in TARGETS:
            found = target.measure(result)
            if not found:
                rows.append([target.what, target.bound, "not measured", "", stem])
            for label, value in found:
                verdict = "yes" if target.passes(value) else "**no**"
                rows.append(
                    [f"{target.what} ({label})", target.bound, _measured(value, target.unit), verdict, stem]
                )
    return ["## Targets", "", *_table(["what", "target", "measured", "met", "result file"], rows)]


def _model_rows(result: dict[str, Any], mode: str) -> list[list[str]]:
    rows = []
    for m in _select(result, mode):
        p, lat = m["parameters"], m["latency"]
        rows.append(
            [
                m["name"],
                _version(p),
                str(p.get("engine")),
                str(p.get("precision")),
                str(p.get("provider")),
                str(p.get("batch")),
                f"{p.get('input_s'):g}",
                str(p.get("threads")),
                formatted(lat["p50_ms"]),
                formatted(lat["p99_ms"]),
                formatted(m.get("throughput_per_s")),
                _stable(m),
            ]
        )
    return rows


def _version(parameters: dict[str, Any]) -> str:
    # Recorded as "<repository name> <version>"; an older version of one precision can still be serving.
    return str(parameters.get("version") or "").rpartition(" ")[2]


MODEL_HEADER = [
    "model",
    "version",
    "engine",
    "precision",
    "provider",
    "batch",
    "input s",
    "threads",
    "P50 ms",
    "P99 ms",
    "windows/s",
    "stable",
]


def _model_section(result: dict[str, Any]) -> list[str]:
    lines = ["### Model inference", ""]
    lines += _table(MODEL_HEADER, _model_rows(result, "model") + _model_rows(result, "reference"))
    comparisons = [
        [c["subject"], c["baseline"], c["workload"], formatted(c["ratio"])]
        for c in result.get("comparisons", [])
    ]
    if comparisons:
        lines += ["Speed-ups, each from two measurements of the same run (ratio of P50s):", ""]
        lines += _table(["subject", "baseline", "workload", "speed-up (x)"], comparisons)
    return lines


def _pipeline_section(result: dict[str, Any]) -> list[str]:
    rows = []
    for m in _select(result, "pipeline"):
        p, f = m["parameters"], m["figures"]
        rows.append(
            [
                m["name"],
                _version(p),
                str(p.get("precision")),
                f"{p.get('audio_min'):g}",
                str(p.get("cores")),
                formatted(f["inference_s"]),
                formatted(f["postprocessing_s"]),
                formatted(f["wall_s"]),
                formatted(f["rtf"]),
            ]
        )
    header = [
        "model",
        "version",
        "precision",
        "audio min",
        "cores",
        "model inference s",
        "clustering + turns s",
        "total s",
        "RTF",
    ]
    return ["### Pipeline processing", "", *_table(header, rows)] if rows else []


def _http_rows(result: dict[str, Any], network: bool) -> list[list[str]]:
    rows = []
    for m in _select(result, "http"):
        if ("healthz" in m["name"]) != network:
            continue
        p, lat = m["parameters"], m["latency"]
        level = (
            str(p.get("concurrency"))
            if p.get("load") == "closed"
            else f"{formatted(p.get('rate_per_s'))}/s offered"
        )
        rows.append(
            [
                m["name"],
                str(p.get("load")),
                level,
                str(lat["count"]),
                str(m.get("errors", 0)),
                formatted(lat["p50_ms"]),
                formatted(lat["p95_ms"]),
                formatted(lat["p99_ms"]),
                formatted(m.get("throughput_per_s")),
                _stable(m),
            ]
        )
    return rows


HTTP_HEADER = [
    "request",
    "load",
    "concurrency",
    "requests",
    "errors",
    "P50 ms",
    "P95 ms",
    "P99 ms",
    "requests/s",
    "stable",
]


HEADLINE = re.compile(r"(_ms|_per_s|_mb|speedup)$|recall")
"""The figures of a registered benchmark worth a row here; its result file keeps every other one."""


def _external_section(result: dict[str, Any]) -> list[str]:
    rows = []
    for m in result["measurements"]:
        if m["mode"] != "external":
            continue
        if m["status"] != "ok":
            rows.append([m["name"], m["status"], str(m.get("reason"))])
        headline = {k: v for k, v in sorted(m.get("figures", {}).items()) if HEADLINE.search(k)}
        rows += [[m["name"], key, formatted(value)] for key, value in headline.items()]
    if not rows:
        return []
    return ["### Registered benchmarks", "", *_table(["benchmark", "figure", "value"], rows)]


def _machine(stem: str, result: dict[str, Any], results_dir: Path) -> list[str]:
    env = result["environment"]
    libraries = ", ".join(f"{k} {v}" for k, v in sorted(env["libraries"].items()))
    lines = [
        f"## {result['suite']} suite on {env['machine']}",
        "",
        f"From `docs/results/{stem}.json`, run {result['created_at'][:16].replace('T', ' ')} UTC. "
        f"CPU: {env['cpu_model']} ({env['cpu_count_usable']} usable of {env['cpu_count_logical']} cores, "
        f"load average {env.get('load_average_1m')} during the run); "
        f"GPU: {env.get('gpu_name') or 'none'}; Python {env['python']}; {libraries}.",
        "",
    ]
    lines += _model_section(result) + _pipeline_section(result)
    network = _http_rows(result, network=True)
    if network:
        lines += ["### Network", "", *_table(HTTP_HEADER, network)]
    end_to_end = _http_rows(result, network=False)
    if end_to_end:
        lines += ["### End-to-end", "", *_table(HTTP_HEADER, end_to_end)]
    lines += _external_section(result)
    figures = [name for name in FIGURES if (results_dir / f"{stem}-{name}.png").is_file()]
    lines += [f"![{name.replace('_', ' ')}](results/{stem}-{name}.png)" for name in figures]
    return [*lines, ""] if figures else lines


def load_results(results_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    results = []
    for path in sorted(results_dir.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema_version") == SCHEMA:
            results.append((path.stem, data))
    # The CPU suite first: it is the one every machine can reproduce.
    return sorted(results, key=lambda item: (item[1].get("suite") != "cpu", item[0]))


def render(results: list[tuple[str, dict[str, Any]]], results_dir: Path = RESULTS_DIR) -> str:
    lines = [
        "# Performance analysis",
        "",
        "<!-- Generated by tools/perf_report.py from docs/results/*.json; do not edit by hand. -->",
        "",
        "Every figure here is read from a committed result file in [docs/results/](results/); "
        "`nox -s bench` (CPU) and `nox -s gpu_bench` (GPU) regenerate them and this document, and "
        "`tools/check_docs.py` (part of `nox -s lint`) fails when a latency or throughput figure in "
        "docs/ or a README has no such backing.",
        "",
        TERMS,
    ]
    if not results:
        return "\n".join([*lines, "No result files yet: run `nox -s bench`.", ""])
    lines += _targets(results)
    for stem, result in results:
        lines += _machine(stem, result, results_dir)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="Only check that --out is up to date.")
    arguments = parser.parse_args(argv)
    text = render(load_results(arguments.results), arguments.results)
    if arguments.check:
        current = arguments.out.read_text(encoding="utf-8") if arguments.out.is_file() else ""
        if current != text:
            print(f"{arguments.out} is out of date: run `python -m tools.perf_report`")
            return 1
        return 0
    arguments.out.write_text(text, encoding="utf-8")
    print(f"wrote {arguments.out} from {arguments.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
