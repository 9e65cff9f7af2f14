"""PNG figures of a run: latency CDFs per mode, throughput against concurrency (matplotlib: `bench` extra)."""

from __future__ import annotations

from pathlib import Path

from voxrank.serving.bench.report import measurement_label
from voxrank.serving.bench.schema import BenchmarkReport, Measurement

MAX_CURVES = 16
LINE_STYLES = ("-", "--", ":", "-.")


def _pyplot():
    try:
        import matplotlib
    except ImportError as error:
        raise RuntimeError("plots need matplotlib: pip install 'voxrank-ml-serving[bench]'") from error
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _curve_label(m: Measurement) -> str:
    p = m.parameters
    if m.mode == "http":
        level = f"c={p['concurrency']}" if p.get("load") == "closed" else f"{p.get('rate_per_s')}/s"
        return f"{m.name} {level}"
    return f"{measurement_label(m)} b{p.get('batch')} {p.get('input_s')}s"


def latency_cdf(measurements: list[Measurement], title: str, path: Path) -> Path | None:
    curves = [m for m in measurements if m.latency is not None and m.latency.quantiles_ms][:MAX_CURVES]
    if not curves:
        return None
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(8, 5))
    names = sorted({m.name for m in curves})
    for m in curves:
        assert m.latency is not None
        # Ten colours repeat past ten curves; the line style tells the models apart.
        style = LINE_STYLES[names.index(m.name) % len(LINE_STYLES)]
        axis.plot(m.latency.quantiles_ms, [q / 100 for q in range(101)], style, label=_curve_label(m))
    axis.set_xscale("log")
    axis.set_xlabel("latency (ms, log scale)")
    axis.set_ylabel("fraction of requests")
    axis.set_title(title)
    axis.grid(True, which="both", alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def throughput_vs_concurrency(measurements: list[Measurement], path: Path) -> Path | None:
    closed = [
        m for m in measurements if m.mode == "http" and m.parameters.get("load") == "closed" and m.latency
    ]
    if not closed:
        return None
    plt = _pyplot()
    figure, throughput_axis = plt.subplots(figsize=(8, 5))
    latency_axis = throughput_axis.twinx()
    for index, name in enumerate(sorted({m.name for m in closed})):
        colour = f"C{index}"
        series = sorted(
            (m for m in closed if m.name == name), key=lambda m: int(m.parameters["concurrency"] or 0)
        )
        levels = [m.parameters["concurrency"] for m in series]
        throughput_axis.plot(
            levels, [m.throughput_per_s for m in series], marker="o", color=colour, label=f"{name} throughput"
        )
        latency_axis.plot(
            levels,
            [m.latency.p99_ms for m in series if m.latency],
            linestyle="--",
            marker="x",
            color=colour,
            label=f"{name} P99",
        )
    throughput_axis.set_xscale("log", base=2)
    throughput_axis.set_xlabel("concurrent requests (closed loop)")
    throughput_axis.set_ylabel("requests / s")
    latency_axis.set_ylabel("P99 latency (ms)")
    throughput_axis.set_title("End-to-end throughput and P99 against concurrency")
    handles = throughput_axis.get_legend_handles_labels()[0] + latency_axis.get_legend_handles_labels()[0]
    labels = throughput_axis.get_legend_handles_labels()[1] + latency_axis.get_legend_handles_labels()[1]
    throughput_axis.legend(handles, labels, fontsize=7, loc="upper left")
    throughput_axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def draw_all(report: BenchmarkReport, out_dir: Path, prefix: str = "") -> list[Path]:
    """Every figure the run has data for; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    titles = {
        "model": "Model inference latency (ONNX Runtime)",
        "reference": "Model inference latency (PyTorch)",
        "http": "End-to-end latency (HTTP, loopback)",
    }
    written = [
        latency_cdf(
            [m for m in report.measurements if m.mode == mode],
            title,
            out_dir / f"{prefix}latency_cdf_{mode}.png",
        )
        for mode, title in titles.items()
    ]
    written.append(
        throughput_vs_concurrency(report.measurements, out_dir / f"{prefix}throughput_vs_concurrency.png")
    )
    return [path for path in written if path is not None]
