"""What `voxrank-bench` and `voxrank-train bench-reference` share: options and writing a mode's results."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from voxrank.serving.bench.environment import capture_environment
from voxrank.serving.bench.measure import MeasureSettings
from voxrank.serving.bench.schema import BenchmarkReport, Measurement

Out = Annotated[Path, typer.Option("--out", "-o", help="Result file (JSON) to write.")]
Quick = Annotated[bool, typer.Option("--quick", help="Short windows: a smoke run, not figures to publish.")]
Batches = Annotated[
    list[int] | None, typer.Option("--batch", help="Batch sizes (repeatable); default 1 and 8.")
]
InputLengths = Annotated[
    list[float] | None, typer.Option("--input-s", help="Input seconds (repeatable); default 5.")
]
Threads = Annotated[int, typer.Option("--threads", help="Intra-op threads of the runtime.")]
DEFAULT_BATCHES = [1, 8]
DEFAULT_INPUT_S = [5.0]


def settings(quick: bool) -> MeasureSettings:
    return MeasureSettings.quick() if quick else MeasureSettings()


def collect(
    measurements: Iterable[Measurement], total: int, out: Path, suite: str, console: Console
) -> BenchmarkReport:
    """Measure with a progress bar, then write the mode's result file with the environment record."""
    collected = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(suite, total=total)
        for measurement in measurements:
            collected.append(measurement)
            progress.advance(task)
    report = BenchmarkReport(suite=suite, environment=capture_environment(), measurements=collected)
    report.write(out)
    for skipped in (m for m in collected if m.status != "ok"):
        console.print(
            f"{skipped.status} {skipped.name} {skipped.parameters}: {skipped.reason}", soft_wrap=True
        )
    console.print(f"{len(collected)} measurements -> {out}")
    return report
