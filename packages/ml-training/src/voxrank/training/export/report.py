"""The figures of published exports side by side: parity, task metrics, file size, ONNX Runtime latency."""

from __future__ import annotations

from rich.table import Table

from voxrank.serving.repository import Manifest

LATENCY_KEYS = ("ort_cpu_latency_ms", "ort_cpu_latency_p99_ms")


def manifest_table(manifests: list[Manifest]) -> Table:
    metric_names = sorted(
        {key for manifest in manifests for key in manifest.metrics if key not in LATENCY_KEYS}
    )
    table = Table(title="Published exports")
    for column in (
        "model",
        "version",
        "precision",
        "max |diff| vs torch",
        *metric_names,
        "size",
        "ORT CPU p50",
    ):
        table.add_column(column, justify="left" if column in ("model", "precision") else "right")
    for manifest in manifests:
        table.add_row(
            manifest.name,
            manifest.version,
            manifest.precision,
            f"{manifest.parity.max_abs_diff:.2e} (<= {manifest.parity.tolerance:g})",
            *(_figure(manifest.metrics.get(name)) for name in metric_names),
            f"{manifest.size_bytes / 1e6:.2f} MB",
            f"{manifest.metrics['ort_cpu_latency_ms']:.2f} ms",
        )
    return table


def _figure(value: float | None) -> str:
    return "—" if value is None else f"{value:.4g}"
