from pathlib import Path

import onnxruntime as ort
import pytest
from typer.testing import CliRunner

from voxrank.serving import __version__
from voxrank.serving.cli import app


def test_version_flag_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"voxrank-serve {__version__}"


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(), reason="needs a CPU-only build")
def test_serve_refuses_a_strict_accelerator_this_onnxruntime_lacks(tmp_path: Path) -> None:
    arguments = ["serve", "--repository", str(tmp_path), "--provider", "cuda", "--provider", "cpu"]
    result = CliRunner().invoke(app, [*arguments, "--strict-providers"])
    assert result.exit_code == 1
    assert "CUDAExecutionProvider" in result.output
    assert "Traceback" not in result.output


def test_invalid_settings_exit_2_with_one_line() -> None:
    result = CliRunner().invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 2
    assert "invalid setting port" in result.output
