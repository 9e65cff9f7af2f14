"""A small synthetic catalog with simulated interactions and a tiny training config over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voxrank.serving.recommend.items import ItemRecord
from voxrank.training.twotower.config import TwoTowerTrainingConfig


def synthetic_catalog(count: int = 120) -> list[ItemRecord]:
    return [
        ItemRecord(
            item_id=f"c{n:04d}",
            title=f"{['夏の', '冬の', 'spring ', 'autumn '][n % 4]}作品 {n}",
            genre_ids=(str(n % 6),),
            maker_ids=(f"m{n % 4}",),
            series_ids=(f"s{n % 10}",),
            price=float(300 + 10 * n),
            review_count=n % 7,
            review_average=(n % 5) + 0.5,
        )
        for n in range(count)
    ]


@pytest.fixture
def catalog_file(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.jsonl"
    rows = [
        {key: value for key, value in vars(item).items() if value is not None} for item in synthetic_catalog()
    ]
    path.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny_config(tmp_path: Path, catalog_file: Path) -> TwoTowerTrainingConfig:
    return TwoTowerTrainingConfig.model_validate(
        {
            "output_dir": tmp_path / "run",
            "data": {
                "source": "simulated",
                "catalog_items": catalog_file,
                "test_fraction": 0.2,
                "simulation": {"users": 150, "mean_interactions": 12, "seed": 3},
            },
            "features": {"token_buckets": 1024, "item_buckets": 1024, "max_history": 10},
            "model": {"embedding_dim": 16, "hidden_dim": 32, "output_dim": 768},
            "train": {
                "epochs": 3,
                "batch_size": 64,
                "learning_rate": 0.01,
                "threads": 1,
                "log_every": 2,
                "checkpoint_every": 5,
                "hard_negatives": 4,
                "negative_pool": 32,
            },
            "evaluation": {"ks": [10, 50], "baselines": ["popularity", "item-knn"]},
        }
    )
