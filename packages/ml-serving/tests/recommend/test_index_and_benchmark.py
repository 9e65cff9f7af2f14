"""`voxrank-serve index build` refusals, and the retrieval benchmark's result shape on a tiny catalog."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from voxrank.serving.cli import app as serve_cli
from voxrank.serving.recommend.benchmark import run_retrieval_benchmark, to_markdown
from voxrank.serving.recommend.store_url import open_store

from .tiny_towers import publish_tower


def good_items(folder: Path) -> Path:
    path = folder / "good.jsonl"
    path.write_text('{"item_id": "a", "title": "夏"}\n{"item_id": "b", "price": 5}\n', encoding="utf-8")
    return path


def _build(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(serve_cli, ["index", "build", *arguments])
    return result.exit_code, result.output


def test_index_build_refuses_bad_input_and_leaves_no_index(tmp_path: Path) -> None:
    repository = tmp_path / "repository"
    publish_tower(repository, "two-tower-item", "1.0.0")
    publish_tower(repository, "two-tower-user", "1.0.0")
    store = f"hnsw:{tmp_path / 'index.faiss'}"
    code, output = _build("--repository", str(repository), "--store", store)
    assert code == 2 and "exactly one of --catalog and --items" in output
    bad = tmp_path / "items.jsonl"
    bad.write_text('{"item_id": "a"}\n{"title": "no id"}\n', encoding="utf-8")
    code, output = _build("--repository", str(repository), "--items", str(bad), "--store", store)
    assert code == 1 and "items.jsonl:2" in output
    code, output = _build(
        "--repository",
        str(repository),
        "--items",
        str(good_items(tmp_path)),
        "--store",
        store,
        "--model",
        "two-tower-user",
    )
    assert code == 1 and "not two-tower-item" in output
    assert not (tmp_path / "index.faiss").exists()
    code, output = _build(
        "--repository", str(repository), "--items", str(good_items(tmp_path)), "--store", store
    )
    assert code == 0, output
    assert open_store(store).model_version == "1.0.0" and len(open_store(store)) == 2


def test_retrieval_benchmark_reports_latency_and_recall_per_store() -> None:
    results = run_retrieval_benchmark(items=2000, dimension=64, queries=20, k=5, stores=["exact", "hnsw"])
    assert set(results["stores"]) == {"exact", "hnsw"}
    exact = results["stores"]["exact"]
    assert exact["recall@5"] == 1.0
    assert 0 < exact["p50_ms"] <= exact["p99_ms"]
    assert 0.8 <= results["stores"]["hnsw"]["recall@5"] <= 1.0
    assert "| hnsw |" in to_markdown(results)
