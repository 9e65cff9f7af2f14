"""`nox -s export`: export the current best diarization checkpoints and both two-tower towers in fp32, fp16
and int8 into the local model repository and print their figures (parity, DER or Recall@10, size, ONNX
Runtime CPU latency) from one run.

Checkpoints: `--checkpoint FAMILY=PATH`, else `runs/diarization/acceptance-<family>/best.pt` (the
documented acceptance training of issue #4), else, for fastcnn only, a small training run of the
quickstart config (synthetic eSpeak NG speakers, a few minutes on two cores):
`voxrank-train diarization --config packages/ml-training/configs/diarization/quickstart.toml`.

Two-tower: `--checkpoint two-tower=PATH`, else the finished acceptance run of
`packages/ml-training/configs/twotower/online_retail.toml` (runs/twotower-online-retail), else a short run
of that config (`EXPORT_EPOCHS` epochs, runs/twotower-export/online-retail, resumed when interrupted) when
../shared/data holds online-retail, else of configs/twotower/simulated.toml over a synthetic catalog.

Versions follow docs/MODEL_VERSIONING.md: a checkpoint already published under a name is not published
again (the run is reproducible: re-running changes nothing); a new checkpoint is a new minor version;
the first export is 1.0.0.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from packaging.version import Version
from rich.console import Console

from voxrank.serving.recommend.items import synthetic_items, write_item_lines
from voxrank.serving.repository import Manifest, ModelRepository, RepositoryError
from voxrank.training.diarization.config import load_config
from voxrank.training.diarization.train import train
from voxrank.training.export.config import export_config_class
from voxrank.training.export.errors import ExportError, ExportValidationError
from voxrank.training.export.exporter import Exporter
from voxrank.training.export.precision import PRECISIONS
from voxrank.training.export.report import manifest_table
from voxrank.training.twotower import config as twotower_config
from voxrank.training.twotower.online_retail import default_path as online_retail_path

RUNS = Path("runs/diarization")
QUICKSTART_CONFIG = Path("packages/ml-training/configs/diarization/quickstart.toml")
QUICKSTART_CHECKPOINT = RUNS / "quickstart" / "best.pt"
FAMILIES = ("fastcnn", "transformer")
TWO_TOWER = "two-tower"
EVERY_FAMILY = (*FAMILIES, TWO_TOWER)
TOWERS = ("two-tower-user", "two-tower-item")
TWO_TOWER_CONFIGS = Path("packages/ml-training/configs/twotower")
TWO_TOWER_ACCEPTANCE = Path("runs/twotower-online-retail")
TWO_TOWER_EXPORT_RUNS = Path("runs/twotower-export")
EXPORT_EPOCHS = 2
"""Enough for towers worth benchmarking and serving in a few minutes on two cores; the acceptance run of
online_retail.toml (six epochs) is exported instead when it has finished."""
SIMULATED_CATALOG_ITEMS = 5000

console = Console(stderr=True)


def find_checkpoint(family: str, given: dict[str, Path]) -> Path | None:
    """The checkpoint to export for `family`, training the quickstart fastcnn when there is none."""
    if family in given:
        return given[family]
    acceptance = RUNS / f"acceptance-{family}" / "best.pt"
    if acceptance.is_file():
        return acceptance
    if family != "fastcnn":
        return None
    if QUICKSTART_CHECKPOINT.is_file():
        return QUICKSTART_CHECKPOINT
    console.print(f"no fastcnn checkpoint: training {QUICKSTART_CONFIG} (small, synthetic speakers)")
    return train(load_config(QUICKSTART_CONFIG), console=Console())


def two_tower_checkpoint(given: dict[str, Path]) -> Path:
    """The two-tower checkpoint to export, training a short run when there is none."""
    if TWO_TOWER in given:
        return given[TWO_TOWER]
    # evaluation.json is written once the run has finished, so an interrupted run is not exported.
    if (TWO_TOWER_ACCEPTANCE / "evaluation.json").is_file():
        return TWO_TOWER_ACCEPTANCE / "checkpoints" / "last.pt"
    from voxrank.training.twotower.train import train as train_two_tower

    settings = export_training_config()
    console.print(
        f"no finished acceptance run in {TWO_TOWER_ACCEPTANCE}: exporting {settings.output_dir} "
        f"({settings.train.epochs} epochs, trained or continued as needed)"
    )
    # Resumed: a finished run returns at once, an interrupted one continues where it stopped.
    return train_two_tower(settings, resume=True, run_evaluation=False).checkpoint


def export_training_config() -> twotower_config.TwoTowerTrainingConfig:
    """online_retail.toml for `EXPORT_EPOCHS` epochs when the data set is there, else simulated.toml over
    a synthetic catalog written beside the run."""
    if online_retail_path().is_file():
        settings = twotower_config.load_config(TWO_TOWER_CONFIGS / "online_retail.toml")
        settings.output_dir = TWO_TOWER_EXPORT_RUNS / "online-retail"
    else:
        settings = twotower_config.load_config(TWO_TOWER_CONFIGS / "simulated.toml")
        settings.output_dir = TWO_TOWER_EXPORT_RUNS / "simulated"
        catalog = settings.output_dir / "catalog.jsonl"
        if not catalog.is_file():
            settings.output_dir.mkdir(parents=True, exist_ok=True)
            write_item_lines(synthetic_items(SIMULATED_CATALOG_ITEMS), catalog)
        settings.data.catalog_url, settings.data.catalog_items = None, catalog
    settings.train.epochs = EXPORT_EPOCHS
    return settings


def next_version(repository: ModelRepository, name: str, checkpoint_sha256: str) -> str | None:
    """None when this checkpoint is already the latest under `name`; else the version to publish."""
    published = repository.versions(name)
    if not published:
        return "1.0.0"
    latest = repository.resolve(name, str(published[-1])).manifest
    if latest.provenance.checkpoint_sha256 == checkpoint_sha256:
        return None
    top: Version = published[-1]
    return f"{top.major}.{top.minor + 1}.0"


def release_family(
    family: str, checkpoint: Path, repository: ModelRepository, data: Path | None
) -> tuple[list[Manifest], list[ExportValidationError]]:
    """Export `checkpoint` in every precision not yet published; the manifests, and the validation
    failures of precisions that were refused (the others are still published)."""
    config = export_config_class(family)(checkpoint, data)
    with console.status(f"{family}: loading") as status:
        exporter = Exporter(config, step=lambda text: status.update(f"{family}: {text}"))
        manifests, refused = [], []
        for precision in PRECISIONS:
            name = config.name_for(precision)
            version = next_version(repository, name, config.checkpoint.sha256)
            if version is None:
                console.print(f"{name}: {checkpoint} is already published, nothing to do")
                manifests.append(repository.resolve(name).manifest)
                continue
            try:
                published = exporter.export(precision, version, repository)
            except ExportValidationError as error:
                console.print(f"[red]refused:[/red] {error}", highlight=False)
                refused.append(error)
                continue
            console.print(f"published {name} {version}")
            manifests.append(published.manifest)
    return manifests, refused


def main(
    repository: Annotated[Path, typer.Option("--repository", "-r", help="Model repository folder.")] = Path(
        "model-repository"
    ),
    models: Annotated[list[str], typer.Option("--model", help="Families to export.")] = list(EVERY_FAMILY),  # noqa: B006
    checkpoint: Annotated[list[str], typer.Option(help="FAMILY=PATH: export this checkpoint instead.")] = [],  # noqa: B006
    data: Annotated[Path | None, typer.Option(help="Corpus for the DER gate and calibration.")] = None,
) -> None:
    """Export the best diarization checkpoints and the two towers in fp32, fp16 and int8; print figures."""
    given = dict(parse_family_path(item) for item in checkpoint)
    target = ModelRepository(repository)
    manifests: list[Manifest] = []
    refused: list[ExportValidationError] = []
    try:
        for family in models:
            if family == TWO_TOWER:
                towers = two_tower_checkpoint(given)
                for tower in TOWERS:
                    published, failures = release_family(tower, towers, target, None)
                    manifests += published
                    refused += failures
                continue
            path = find_checkpoint(family, given)
            if path is None:
                console.print(
                    f"{family}: no checkpoint; train one with voxrank-train diarization --config "
                    f"packages/ml-training/configs/diarization/acceptance-{family}.toml"
                )
                continue
            published, failures = release_family(family, path, target, data)
            manifests += published
            refused += failures
    # Training's config, corpus and speaker-source errors are ValueErrors.
    except (ExportError, RepositoryError, ValueError) as error:
        console.print(f"[red]error:[/red] {error}", highlight=False)
        raise typer.Exit(code=2) from None
    Console(width=200).print(manifest_table(manifests))
    if refused:
        console.print(f"[red]{len(refused)} export(s) refused by validation[/red]; see above")
        raise typer.Exit(code=1)


def parse_family_path(item: str) -> tuple[str, Path]:
    family, separator, path = item.partition("=")
    if not separator or not path:
        raise typer.BadParameter(f"'{item}' is not FAMILY=PATH")
    return family, Path(path)


if __name__ == "__main__":
    typer.run(main)
