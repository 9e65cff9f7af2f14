"""`voxrank-train bench-reference`: PyTorch eager and torch.compile timings in voxrank-bench's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

console = Console()

ENGINE_HELP = "torch-eager and/or torch-compile (repeatable); default both."


def bench_reference(
    *,
    out: Annotated[Path, typer.Option("--out", "-o", help="Result file (JSON) to write.")],
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(help="NAME=PATH of a training checkpoint, timed under NAME (repeatable)."),
    ] = None,
    repository: Annotated[
        Path | None,
        typer.Option("--repository", "-r", help="Time the checkpoints the repository's models came from."),
    ] = None,
    batch: Annotated[
        list[int] | None, typer.Option(help="Batch sizes (repeatable); default 1 and 8.")
    ] = None,
    input_s: Annotated[
        list[float] | None, typer.Option(help="Input seconds (repeatable); default 5.")
    ] = None,
    threads: Annotated[int, typer.Option(help="torch intra-op threads.")] = 1,
    engine: Annotated[list[str] | None, typer.Option(help=ENGINE_HELP)] = None,
    reference_network: Annotated[
        bool, typer.Option(help="Also time the pyannote-architecture reference network.")
    ] = True,
    quick: Annotated[bool, typer.Option(help="Short windows: a smoke run, not figures to publish.")] = False,
) -> None:
    """Time models in PyTorch (eager, torch.compile) and the pyannote-architecture reference network."""
    from voxrank.serving.bench.environment import capture_environment
    from voxrank.serving.bench.measure import MeasureSettings
    from voxrank.serving.bench.model import workloads
    from voxrank.serving.bench.schema import BenchmarkReport
    from voxrank.training.bench.checkpoints import CheckpointError, from_repository, from_specs
    from voxrank.training.bench.reference import ENGINES, reference_target, run_reference_mode

    engines = engine or list(ENGINES)
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        console.print(
            f"[red]error:[/red] unknown engine(s) {unknown}; choose from {list(ENGINES)}", soft_wrap=True
        )
        raise typer.Exit(code=2)
    try:
        targets = from_specs(checkpoint or []) + (from_repository(repository) if repository else [])
    except CheckpointError as error:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True)
        raise typer.Exit(code=2) from error
    if reference_network:
        targets.append(reference_target())
    plan = workloads(["cpu"], batch or [1, 8], input_s or [5.0], threads)
    settings = MeasureSettings.quick() if quick else MeasureSettings()
    measurements = []
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("torch", total=len(targets) * len(engines) * len(plan))
        for measurement in run_reference_mode(
            targets, plan, settings, engines, progress=lambda text: progress.update(task, description=text)
        ):
            measurements.append(measurement)
            progress.advance(task)
    BenchmarkReport(suite="reference", environment=capture_environment(), measurements=measurements).write(
        out
    )
    skipped = [m for m in measurements if m.status != "ok"]
    for m in skipped:
        console.print(f"skipped {m.name} [{m.parameters['engine']}]: {m.reason}", soft_wrap=True)
    console.print(f"{len(measurements) - len(skipped)} measurements -> {out}")
