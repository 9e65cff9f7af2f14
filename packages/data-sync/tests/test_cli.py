from typer.testing import CliRunner

from voxrank.datasync import __version__
from voxrank.datasync.cli import app


def test_version_flag_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"voxrank-sync {__version__}"
