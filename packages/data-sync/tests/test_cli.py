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
