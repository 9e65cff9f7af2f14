import subprocess
import sys

from typer.testing import CliRunner

from voxrank.datasync import __version__
from voxrank.datasync.cli import app


def test_version_flag_prints_the_package_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"voxrank-sync {__version__}"


def test_settings_come_from_a_dotenv_file(tmp_path, monkeypatch) -> None:
    from voxrank.datasync.settings import SyncSettings

    for name in ("VOXRANK_DMM_AFFILIATE_ID", "VOXRANK_CONCURRENCY", "VOXRANK_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        "VOXRANK_DMM_AFFILIATE_ID=me-991\nVOXRANK_CONCURRENCY=7\nVOXRANK_DATABASE_URL=sqlite:///x.sqlite\n"
    )
    monkeypatch.chdir(tmp_path)
    settings = SyncSettings()
    assert (settings.dmm_affiliate_id, settings.concurrency) == ("me-991", 7)
    assert settings.database_url == "sqlite:///x.sqlite"


def test_run_with_progress_bars_then_status(start_fake_api, cli_env, tmp_path) -> None:
    fake = start_fake_api(items=700, offset_cap=300)
    env = cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}")

    synced = CliRunner().invoke(app, ["run", "--until", "2026-01-01T00:00:00"], env=env)
    status = CliRunner().invoke(app, ["status"], env=env)

    assert synced.exit_code == 0, synced.output
    assert " done: " in synced.output
    assert status.exit_code == 0
    assert "done" in status.output and "items:" in status.output


def _modules_after_importing(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(result.stdout.split())


def test_the_entry_point_imports_the_cli_only_when_it_runs() -> None:
    # multiprocessing's spawn imports the main module again in the page writer process.
    loaded = _modules_after_importing("voxrank.datasync.__main__")
    assert not loaded & {"voxrank.datasync.cli", "typer", "rich", "httpx"}


def test_the_page_writer_process_module_leaves_out_migrations_and_http() -> None:
    loaded = _modules_after_importing("voxrank.datasync.storage.writer_process")
    assert "sqlalchemy" in loaded
    assert not loaded & {"alembic", "httpx", "typer", "rich", "tenacity"}


def test_python_dash_m_runs_the_cli() -> None:
    command = [sys.executable, "-m", "voxrank.datasync", "--version"]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == f"voxrank-sync {__version__}"
