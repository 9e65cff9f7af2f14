"""`voxrank-sync`: sync the DMM catalog, serve a fake API, report on data quality."""

from __future__ import annotations

import typer
from rich.console import Console

from voxrank.datasync import __version__

app = typer.Typer(help="Sync the DMM Web Service API v3 catalog into a database.", no_args_is_help=True)
console = Console()


def _print_version(value: bool) -> None:
    if value:
        console.print(f"voxrank-sync {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """voxrank catalog sync."""
