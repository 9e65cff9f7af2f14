"""Bad export requests fail early with a clear message and leave the repository as it was."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxrank.serving.repository import InvalidVersionSpecError, ModelRepository, VersionExistsError
from voxrank.training.cli import app
from voxrank.training.export import (
    CheckpointError,
    Exporter,
    ExportRequest,
    ExportValidationError,
    UnknownModelError,
    UnsupportedPrecisionError,
    export_model,
)
from voxrank.training.export import config as export_config


def tree(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*")) if root.exists() else []


def run_cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["export", *args])
    return result.exit_code, result.output


def request(checkpoint: Path, repository: Path, **changes: object) -> ExportRequest:
    fields: dict[str, object] = {
        "model": "tinyconv",
        "checkpoint": checkpoint,
        "precision": "fp32",
        "version": "1.0.0",
        "repository": repository,
    }
    return ExportRequest(**{**fields, **changes})  # type: ignore[arg-type]


def test_a_checkpoint_of_another_model_is_refused(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(CheckpointError, match=r"holds a 'tinyconv' model, not 'fastcnn'"):
        export_model(request(tiny_checkpoint, tmp_path / "repo", model="fastcnn"))
    assert tree(tmp_path / "repo") == []


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.pt"
    bogus.write_text("not a checkpoint", encoding="utf-8")
    code, output = run_cli(
        "fastcnn", "--checkpoint", str(bogus), "--publish", str(tmp_path / "repo"), "--version", "1.0.0"
    )
    assert code == 2
    assert "error:" in output and "notes.pt" in output
    assert tree(tmp_path / "repo") == []


def test_an_unknown_model_lists_the_known_ones(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(
        UnknownModelError, match=r"no export config for model 'resnet'; known models: .*fastcnn"
    ):
        export_model(request(tiny_checkpoint, tmp_path / "repo", model="resnet"))


def test_an_unsupported_precision_is_refused_on_the_command_line(
    tmp_path: Path, tiny_checkpoint: Path
) -> None:
    code, output = run_cli(
        "tinyconv", "--checkpoint", str(tiny_checkpoint), "--precision", "int4",
        "--publish", str(tmp_path / "repo"), "--version", "1.0.0",
    )  # fmt: skip
    assert code == 2
    assert "precision 'int4' is not supported; choose one of fp32, fp16, int8" in " ".join(output.split())
    with pytest.raises(UnsupportedPrecisionError):
        export_model(request(tiny_checkpoint, tmp_path / "repo", precision="bf16"))
    assert tree(tmp_path / "repo") == []


def test_a_malformed_version_is_refused(tmp_path: Path, tiny_checkpoint: Path) -> None:
    with pytest.raises(InvalidVersionSpecError, match=r"MAJOR\.MINOR\.PATCH"):
        export_model(request(tiny_checkpoint, tmp_path / "repo", version="1.0"))


def test_an_existing_version_is_refused_before_any_work(tmp_path: Path, tiny_checkpoint: Path) -> None:
    repository = tmp_path / "repo"
    (repository / "diarization-tinyconv" / "1.0.0").mkdir(parents=True)
    (repository / "diarization-tinyconv" / "1.0.0" / "READY").write_text("{}", encoding="utf-8")
    before = tree(repository)
    with pytest.raises(VersionExistsError, match="already exists"):
        export_model(request(tiny_checkpoint, repository))
    assert tree(repository) == before


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        (
            {"waveform": np.zeros((4, 2, 8000), np.float32)},
            r"has shape \[4, 2, 8000\] \(3 axes\); the model expects 2 axes",
        ),
        (
            {"audio": np.zeros((4, 8000), np.float32)},
            r"holds arrays \['audio'\], the model's inputs are \['waveform'\]",
        ),
        ({"waveform": np.zeros((4, 8000), np.int16)}, "is int16, the model expects float32"),
        ({"waveform": np.full((4, 8000), np.nan, np.float32)}, "NaN or infinite"),
        ({"waveform": np.zeros((0, 8000), np.float32)}, "non-zero number of samples"),
    ],
)
def test_calibration_data_that_does_not_fit_is_refused(
    tmp_path: Path, tiny_checkpoint: Path, arrays: dict[str, np.ndarray], message: str
) -> None:
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, **arrays)
    code, output = run_cli(
        "tinyconv", "--checkpoint", str(tiny_checkpoint), "--precision", "int8",
        "--calibration-data", str(calibration), "--publish", str(tmp_path / "repo"), "--version", "1.0.0",
    )  # fmt: skip
    assert code == 2
    assert re.search(message, " ".join(output.split())), output
    assert tree(tmp_path / "repo") == []


def test_calibration_data_from_a_file_is_used(
    tmp_path: Path, tiny_checkpoint: Path, tone_windows: Callable[..., tuple[np.ndarray, np.ndarray]]
) -> None:
    calibration = tmp_path / "calibration.npz"
    np.savez(calibration, waveform=tone_windows(12, 8_000, seed=11)[0].astype(np.float64))
    code, output = run_cli(
        "tinyconv", "--checkpoint", str(tiny_checkpoint), "--precision", "int8",
        "--calibration-data", str(calibration), "--publish", str(tmp_path / "repo"), "--version", "2.0.0",
    )  # fmt: skip
    assert code == 0, output
    assert "published diarization-tinyconv-int8 2.0.0" in output
    assert (
        ModelRepository(tmp_path / "repo").resolve("diarization-tinyconv-int8").manifest.precision == "int8"
    )


def test_a_model_outside_the_tolerance_is_refused_and_nothing_published(
    tmp_path: Path, tiny_exporter: Exporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(export_config.PARITY_TOLERANCE, "int8", 1e-9)
    with pytest.raises(
        ExportValidationError, match=r"activity differs from torch by .* > 1e-09 at input shapes"
    ):
        tiny_exporter.export("int8", "1.0.0", ModelRepository(tmp_path / "repo"))
    assert tree(tmp_path / "repo") == []


def test_a_task_metric_worse_than_allowed_is_refused(
    tmp_path: Path, tiny_exporter: Exporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tiny_exporter.metric is not None
    monkeypatch.setattr(tiny_exporter, "metric", dataclasses.replace(tiny_exporter.metric, max_delta=-1.0))
    with pytest.raises(ExportValidationError, match=r"frame_error is .* for torch: worse by .* > -1"):
        tiny_exporter.export("fp32", "1.0.0", ModelRepository(tmp_path / "repo"))
    assert tree(tmp_path / "repo") == []


@pytest.mark.skipif(sys.platform != "linux", reason="file-mode semantics of this test are Linux's")
def test_a_read_only_repository_is_refused_before_any_work(tmp_path: Path, tiny_checkpoint: Path) -> None:
    run_export = "import typer; from voxrank.training.export.cli import export; typer.run(export)"
    command = [
        sys.executable, "-c", run_export, "fastcnn", "--checkpoint", str(tiny_checkpoint),
        "--publish", str(tmp_path / "repo"), "--version", "1.0.0",
    ]  # fmt: skip
    if os.geteuid() == 0:
        # Root ignores file modes; without CAP_DAC_OVERRIDE it gets the checks an ordinary user gets.
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without util-linux setpriv: file modes cannot be enforced")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo").chmod(0o555)
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    finally:
        (tmp_path / "repo").chmod(0o755)
    assert result.returncode == 2, result.stderr
    assert "cannot publish into model repository" in " ".join(result.stderr.split())
    assert tree(tmp_path / "repo") == []
