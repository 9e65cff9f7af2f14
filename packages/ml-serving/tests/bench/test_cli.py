"""`voxrank-bench` end to end on a stand-in model: measure, merge, plot, publish; the GPU gate."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from voxrank.serving.bench.cli import app
from voxrank.serving.bench.providers import available

runner = CliRunner()


def test_model_report_and_publish(standin_model: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = runner.invoke(
        app,
        [
            *("model", "--model", f"standin:fp32={standin_model}", "--batch", "1", "--input-s", "0.5"),
            *("--quick", "--out", str(run_dir / "model.json")),
        ],
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["report", str(run_dir), "--suite", "cpu"]).exit_code == 0
    merged = json.loads((run_dir / "results.json").read_text())
    assert merged["suite"] == "cpu"
    assert merged["measurements"][0]["latency"]["p99_ms"] > 0
    assert (run_dir / "latency_cdf_model.png").read_bytes().startswith(b"\x89PNG")
    docs = tmp_path / "docs-results"
    assert runner.invoke(app, ["publish", str(run_dir), "--to", str(docs)]).exit_code == 0
    machine = merged["environment"]["machine"]
    assert (docs / f"cpu-{machine}.json").is_file()
    assert "Model inference" in (docs / f"cpu-{machine}.md").read_text()


def test_missing_model_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["model", "--model", str(tmp_path / "nope.onnx"), "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_gpu_suite_without_cuda_fails_fast_unless_cpu_is_allowed(standin_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "gpu.json"
    arguments = ["gpu", "--model", str(standin_model), "--input-s", "0.1", "--quick", "--out", str(out)]
    if "cuda" not in available():
        refused = runner.invoke(app, arguments)
        assert refused.exit_code == 2
        assert "no CUDA execution provider" in refused.output
        assert not out.exists()
    allowed = runner.invoke(app, [*arguments, "--allow-cpu"])
    assert allowed.exit_code == 0, allowed.output
    batches = [m["parameters"]["batch"] for m in json.loads(out.read_text())["measurements"]]
    assert batches[:3] == [1, 2, 4]
