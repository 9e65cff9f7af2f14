"""`nox -s export`: a checkpoint is published once, a new checkpoint is a new minor version; two-tower runs
train on online-retail when it is there, else on simulated interactions."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxrank.serving.repository import ModelRepository
from voxrank.training.export import Exporter, release
from voxrank.training.export.release import next_version, parse_family_path
from voxrank.training.twotower.data import load_split


def test_versions_follow_the_checkpoint(tmp_path: Path, tiny_exporter: Exporter) -> None:
    repository = ModelRepository(tmp_path / "repo")
    checkpoint_sha256 = tiny_exporter.config.checkpoint.sha256
    assert next_version(repository, "diarization-tinyconv", checkpoint_sha256) == "1.0.0"
    tiny_exporter.export("fp32", "1.0.0", repository)
    assert next_version(repository, "diarization-tinyconv", checkpoint_sha256) is None
    assert next_version(repository, "diarization-tinyconv", "0" * 64) == "1.1.0"


def test_checkpoint_overrides_are_family_equals_path() -> None:
    assert parse_family_path("fastcnn=runs/a/best.pt") == ("fastcnn", Path("runs/a/best.pt"))
    with pytest.raises(Exception, match="is not FAMILY=PATH"):
        parse_family_path("runs/a/best.pt")


@pytest.fixture
def two_tower_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(release, "TWO_TOWER_CONFIGS", Path(__file__).parents[2] / "configs" / "twotower")
    monkeypatch.setattr(release, "TWO_TOWER_EXPORT_RUNS", tmp_path / "runs")
    return tmp_path / "runs"


def test_without_online_retail_the_towers_train_on_simulated_interactions(
    two_tower_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(release, "online_retail_path", lambda: tmp_path / "absent.csv.gz")

    settings = release.export_training_config()

    assert settings.data.source == "simulated" and settings.train.epochs == release.EXPORT_EPOCHS
    assert settings.output_dir == two_tower_runs / "simulated"
    split = load_split(settings.data)
    assert len(split.catalog) == release.SIMULATED_CATALOG_ITEMS
    assert split.test_users and all(split.histories[user].item_ids for user in split.test_users)


def test_with_online_retail_the_towers_train_on_it_briefly(
    two_tower_runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "online_retail.csv.gz"
    data.write_bytes(b"")
    monkeypatch.setattr(release, "online_retail_path", lambda: data)

    settings = release.export_training_config()

    assert settings.data.source == "online-retail" and settings.train.epochs == release.EXPORT_EPOCHS
    assert settings.output_dir == two_tower_runs / "online-retail"
