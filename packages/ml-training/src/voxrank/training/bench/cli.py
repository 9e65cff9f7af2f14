"""`voxrank-train bench-reference`: PyTorch eager and torch.compile timings in voxrank-bench's schema."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from voxrank.serving.bench.cli_options import (
    DEFAULT_BATCHES,
    DEFAULT_INPUT_S,
    Batches,
    InputLengths,
    Out,
    Quick,
    Threads,
    collect,
    settings,
)

console = Console()

ENGINE_HELP = "torch-eager and/or torch-compile (repeatable); default both."


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(code=2)


def bench_reference(
    *,
    out: Out,
    checkpoint: Annotated[
        list[str] | None,
        typer.Option(help="NAME=PATH of a training checkpoint, timed under NAME (repeatable)."),
    ] = None,
    repository: Annotated[
        Path | None,
        typer.Option("--repository", "-r", help="Time the checkpoints the repository's models came from."),
    ] = None,
    batch: Batches = None,
    input_s: InputLengths = None,
    threads: Threads = 1,
    engine: Annotated[list[str] | None, typer.Option(help=ENGINE_HELP)] = None,
    reference_network: Annotated[
        bool, typer.Option(help="Also time the pyannote-architecture reference network.")
    ] = True,
    quick: Quick = False,
) -> None:
    """Time models in PyTorch (eager, torch.compile) and the pyannote-architecture reference network."""
    from voxrank.serving.bench.model import workloads
    from voxrank.training.bench.checkpoints import CheckpointError, from_repository, from_specs
    from voxrank.training.bench.reference import ENGINES, reference_target, run_reference_mode

    engines = engine or list(ENGINES)
    unknown = sorted(set(engines) - set(ENGINES))
    if unknown:
        raise _fail(f"unknown engine(s) {unknown}; choose from {list(ENGINES)}")
    try:
        targets = from_specs(checkpoint or []) + (from_repository(repository) if repository else [])
    except CheckpointError as error:
        raise _fail(str(error)) from error
    if reference_network:
        targets.append(reference_target())
    plan = workloads(["cpu"], batch or DEFAULT_BATCHES, input_s or DEFAULT_INPUT_S, threads)
    measurements = run_reference_mode(targets, plan, settings(quick), engines)
    collect(measurements, len(targets) * len(engines) * len(plan), out, "reference", console)
