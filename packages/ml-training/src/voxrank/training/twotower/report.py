"""Markdown and PNG renderings of a two-tower run: the training curve and the method comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure


def write_evaluation_markdown(results: dict[str, Any], path: Path) -> None:
    methods = results["methods"]
    columns = list(next(iter(methods.values())).keys()) if methods else []
    lines = [
        "# Two-tower evaluation (time-based split)",
        "",
        "Split: " + ", ".join(f"{key} {value}" for key, value in results["split"].items()),
        "",
        "| method | " + " | ".join(columns) + " |",
        "| --- |" + " --- |" * len(columns),
    ]
    lines += [
        f"| {name} | " + " | ".join(f"{row[column]:.4f}" for column in columns) + " |"
        for name, row in methods.items()
    ]
    if results["skipped"]:
        lines += ["", "Skipped (dependency not installed): " + ", ".join(results["skipped"])]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_evaluation_plot(results: dict[str, Any], path: Path) -> None:
    names = list(results["methods"])
    figure = Figure(figsize=(10, 4))
    axes = figure.subplots(1, 2)
    for axis, metric in zip(axes, ("recall@10", "ndcg@10"), strict=True):
        axis.bar(names, [results["methods"][name][metric] for name in names], color="tab:blue")
        axis.set_title(metric)
        axis.tick_params(axis="x", rotation=20)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def write_training_curve(metrics_path: Path, path: Path) -> None:
    """Loss per logged step from the metrics JSONL."""
    rows = [
        json.loads(line) for line in metrics_path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    steps = [row["step"] for row in rows if "loss" in row]
    losses = [row["loss"] for row in rows if "loss" in row]
    figure = Figure(figsize=(6, 4))
    axis = figure.subplots()
    axis.plot(steps, losses)
    axis.set_xlabel("step")
    axis.set_ylabel("in-batch softmax loss")
    axis.set_title("two-tower training")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
