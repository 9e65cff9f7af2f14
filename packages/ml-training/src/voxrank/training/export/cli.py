"""`voxrank-train export MODEL --checkpoint ... --precision ... --publish REPO --version X.Y.Z`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from voxrank.serving.repository import RepositoryError
from voxrank.training.export.config import DEFAULT_OPSET
from voxrank.training.export.errors import ExportError
from voxrank.training.export.exporter import ExportRequest, export_model
from voxrank.training.export.report import manifest_table

console = Console(stderr=True)


def export(
    model: Annotated[str, typer.Argument(help="Model family to export: fastcnn, transformer, ...")],
    *,
    checkpoint: Annotated[Path, typer.Option(help="Training checkpoint (.pt).")],
    publish: Annotated[Path, typer.Option(help="Model repository folder to publish into.")],
    version: Annotated[str, typer.Option(help="Semantic version X.Y.Z of the published model.")],
    precision: Annotated[str, typer.Option(help="fp32, fp16 or int8.")] = "fp32",
    opset: Annotated[int, typer.Option(min=17, help="ONNX opset.")] = DEFAULT_OPSET,
    calibration_data: Annotated[
        Path | None, typer.Option(help="int8: .npz with one array per model input (first axis: samples).")
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="Repository name (default: the family's, -fp16/-int8 added).")
    ] = None,
    data: Annotated[Path | None, typer.Option(help="Validation data folder for the task metric.")] = None,
) -> None:
    """Export a checkpoint to ONNX, validate it against torch and publish it into a model repository."""
    request = ExportRequest(
        model=model,
        checkpoint=checkpoint,
        precision=precision,
        version=version,
        repository=publish,
        opset=opset,
        calibration_data=calibration_data,
        name=name,
        data_dir=data,
    )
    try:
        with console.status("exporting") as status:
            published = export_model(request, step=lambda text: status.update(f"{model} {precision}: {text}"))
    except (ExportError, RepositoryError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    console.print(f"published {published.name} {published.version} into {published.path}")
    Console().print(manifest_table([published.manifest]))
