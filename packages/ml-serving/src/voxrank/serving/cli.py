"""`voxrank-serve`: serve models, inspect the runtime and the model repository."""

from __future__ import annotations

import typer
from rich.console import Console

from voxrank.serving import __version__

app = typer.Typer(help="Serve voxrank models with ONNX Runtime.", no_args_is_help=True)
console = Console()


def _print_version(value: bool) -> None:
    if value:
        console.print(f"voxrank-serve {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """voxrank model serving."""


@app.command()
def providers() -> None:
    """List the ONNX Runtime execution providers this installation can use."""
    import onnxruntime as ort

    console.print(f"onnxruntime {ort.__version__} on {ort.get_device()}")
    for name in ort.get_available_providers():
        console.print(f"  {name}")
