"""`voxrank-train twotower --config FILE` and `voxrank-train evaluate twotower --checkpoint FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from voxrank.training.twotower.checkpoint import CheckpointError, model_from_checkpoint
from voxrank.training.twotower.config import ConfigError, TwoTowerTrainingConfig, load_config
from voxrank.training.twotower.data import load_split
from voxrank.training.twotower.evaluate import evaluate, write_evaluation

console = Console()


def _table(results: dict[str, Any]) -> Table:
    table = Table(title=f"two-tower vs baselines ({results['split']['test_users']} test users)")
    columns = ["recall@10", "recall@50", "ndcg@10", "coverage@10"]
    table.add_column("method")
    for column in columns:
        table.add_column(column, justify="right")
    for name, metrics in results["methods"].items():
        table.add_row(name, *(f"{metrics[column]:.4f}" for column in columns if column in metrics))
    return table


def train_twotower(
    config: Annotated[Path, typer.Option("--config", "-c", help="TOML config (configs/twotower/*.toml).")],
    *,
    resume: Annotated[bool, typer.Option(help="Continue from output_dir/checkpoints/last.pt.")] = False,
    output_dir: Annotated[Path | None, typer.Option(help="Override output_dir of the config.")] = None,
    epochs: Annotated[int | None, typer.Option(min=1, help="Override train.epochs.")] = None,
) -> None:
    """Train the two towers, then evaluate them against the baselines on a time-based split."""
    from voxrank.training.twotower.train import train

    try:
        settings = load_config(config)
    except ConfigError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from error
    if output_dir is not None:
        settings.output_dir = output_dir
    if epochs is not None:
        settings.train.epochs = epochs
    run = train(settings, resume=resume)
    if run.evaluation is not None:
        console.print(_table(run.evaluation))
    console.print(f"checkpoint: {run.checkpoint}; reports in {settings.output_dir}")


def evaluate_twotower(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A two-tower checkpoint.")],
    *,
    output_dir: Annotated[Path, typer.Option(help="Where evaluation.json/.md/.png go.")] = Path(
        "twotower-eval"
    ),
) -> None:
    """Evaluate a checkpoint and the baselines on the data and split its training config names."""
    try:
        model, saved = model_from_checkpoint(checkpoint)
    except CheckpointError as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(2) from error
    settings = TwoTowerTrainingConfig.model_validate(saved["config"])
    results = evaluate(
        model, load_split(settings.data), settings.evaluation.ks, settings.evaluation.baselines
    )
    write_evaluation(results, output_dir)
    console.print(_table(results))
