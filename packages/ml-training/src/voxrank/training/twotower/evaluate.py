"""Evaluate the two-tower model and the baselines on the same time split, in the same run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from voxrank.training.twotower import baselines
from voxrank.training.twotower.config import Baseline
from voxrank.training.twotower.embed import recommend
from voxrank.training.twotower.metrics import ranking_report
from voxrank.training.twotower.model import TwoTower
from voxrank.training.twotower.report import write_evaluation_markdown, write_evaluation_plot
from voxrank.training.twotower.split import TimeSplit

Recommender = Callable[[TimeSplit, Sequence[str], int], dict[str, list[str]] | None]
BASELINES: dict[str, Recommender] = {
    "popularity": baselines.popularity,
    "item-knn": baselines.item_knn,
    "als": baselines.implicit_als,
}


def _two_tower(model: TwoTower) -> Recommender:
    def run(split: TimeSplit, users: Sequence[str], k: int) -> dict[str, list[str]]:
        ranked = recommend(model, split.catalog, [split.histories[user] for user in users], k)
        return dict(zip(users, ranked, strict=True))

    return run


def evaluate(
    model: TwoTower, split: TimeSplit, ks: Sequence[int], baseline_names: Sequence[Baseline]
) -> dict[str, Any]:
    """Metrics per method ("two-tower" and each baseline); a baseline that cannot run is listed as skipped."""
    users = split.test_users
    methods = {"two-tower": _two_tower(model)} | {name: BASELINES[name] for name in baseline_names}
    results: dict[str, Any] = {"methods": {}, "skipped": []}
    for name, method in methods.items():
        started = time.perf_counter()
        recommendations = method(split, users, max(ks))
        if recommendations is None:
            results["skipped"].append(name)
            continue
        metrics = ranking_report(recommendations, split.targets, ks, len(split.catalog))
        results["methods"][name] = metrics | {"seconds": time.perf_counter() - started}
    results["split"] = {
        "cutoff": split.cutoff.isoformat(),
        "catalog_items": len(split.catalog),
        "train_interactions": len(split.train),
        "train_users": len(split.histories),
        "test_users": len(users),
        "test_targets": sum(len(targets) for targets in split.targets.values()),
    }
    return results


def write_evaluation(results: dict[str, Any], output_dir: Path) -> list[Path]:
    """evaluation.json, evaluation.md and evaluation.png in `output_dir`."""
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = [output_dir / "evaluation.json", output_dir / "evaluation.md", output_dir / "evaluation.png"]
    paths[0].write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    write_evaluation_markdown(results, paths[1])
    write_evaluation_plot(results, paths[2])
    return paths
