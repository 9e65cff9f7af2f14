"""`voxrank-train diarization` and `voxrank-train evaluate diarization`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

console = Console()


def train_diarization(
    config: Annotated[
        list[Path], typer.Option("--config", help="TOML config; repeat to train several in turn.")
    ],
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the run's last checkpoint.")
    ] = False,
) -> None:
    """Train a diarization model; with an [evaluation] section, evaluate the best checkpoint afterwards."""
    from voxrank.training.diarization.checkpoint import CheckpointError
    from voxrank.training.diarization.config import ConfigError, load_config
    from voxrank.training.diarization.data.corpus import CorpusError
    from voxrank.training.diarization.data.speakers import SpeakerSourceError
    from voxrank.training.diarization.report import evaluate_checkpoint
    from voxrank.training.diarization.train import train

    try:
        configs = [load_config(path) for path in config]
        for settings in configs:
            if resume and not (settings.output_dir / "last.pt").is_file():
                raise CheckpointError(f"{settings.output_dir / 'last.pt'}: nothing to resume")
            best = train(settings, resume=resume, console=console)
            if settings.evaluation is not None and best.is_file():
                corpus = settings.evaluation.corpus
                report = evaluate_checkpoint(
                    best,
                    corpus.root,
                    corpus.split,
                    settings.evaluation.oracle_num_speakers,
                    settings.output_dir,
                )
                _print_summary(report)
    except (ConfigError, CheckpointError, CorpusError, SpeakerSourceError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error


def evaluate_diarization(
    checkpoint: Annotated[Path, typer.Option("--checkpoint", help="A diarization checkpoint (best.pt).")],
    data: Annotated[Path, typer.Option("--data", help="Corpus folder: <split>.lst, .rttm, .uem and audio.")],
    split: Annotated[str, typer.Option("--split")] = "dev",
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder; default: beside the checkpoint.")
    ] = None,
    oracle_num_speakers: Annotated[
        bool,
        typer.Option(
            "--oracle-num-speakers/--estimate-num-speakers", help="Give the reference speaker count."
        ),
    ] = True,
) -> None:
    """DER of a checkpoint through the serving pipeline, beside both baselines; writes JSON + Markdown."""
    from voxrank.training.diarization.checkpoint import CheckpointError
    from voxrank.training.diarization.data.corpus import CorpusError
    from voxrank.training.diarization.report import evaluate_checkpoint

    try:
        report = evaluate_checkpoint(checkpoint, data, split, oracle_num_speakers, out or checkpoint.parent)
    except (CheckpointError, CorpusError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from error
    _print_summary(report)


def _print_summary(report: dict[str, Any]) -> None:
    for name, result in report["systems"].items():
        figures = result["overall"]
        console.print(
            f"{name}: DER {100 * figures['collar_0']['der']:.1f}% (collar 0), "
            f"{100 * figures['collar_0.5']['der']:.1f}% (collar 0.5)"
        )
