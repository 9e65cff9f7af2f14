"""`voxrank-train`: train, evaluate and export voxrank's models."""

from __future__ import annotations

import typer
from rich.console import Console

from voxrank.training import __version__
from voxrank.training.bench.cli import bench_reference
from voxrank.training.diarization.cli import evaluate_diarization, train_diarization
from voxrank.training.export.cli import export
from voxrank.training.twotower.cli import evaluate_twotower, train_twotower

app = typer.Typer(help="Train, evaluate and export voxrank models.", no_args_is_help=True)
console = Console()
app.command("bench-reference")(bench_reference)
evaluate_app = typer.Typer(help="Evaluate trained models on held-out data.", no_args_is_help=True)
app.add_typer(evaluate_app, name="evaluate")
app.command("diarization")(train_diarization)
evaluate_app.command("diarization")(evaluate_diarization)
app.command("export")(export)
app.command("twotower")(train_twotower)
evaluate_app.command("twotower")(evaluate_twotower)


def _print_version(value: bool) -> None:
    if value:
        console.print(f"voxrank-train {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """voxrank model training."""


@app.command()
def environment() -> None:
    """Show the torch build, thread count and accelerators training would use."""
    import torch

    console.print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    console.print(f"CUDA available: {torch.cuda.is_available()}")
