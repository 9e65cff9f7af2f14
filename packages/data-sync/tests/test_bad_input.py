"""Bad input gets one clear line and a non-zero exit, and loses nothing already synced."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from voxrank.datasync.catalog import count_items
from voxrank.datasync.cli import app
from voxrank.datasync.fakeapi.server import FakeApiProcess

SECRET = "api-id-SECRET-4f9c"


@pytest.fixture(scope="module")
def fake():
    with FakeApiProcess(items=600, offset_cap=300, api_id=SECRET) as process:
        yield process


def _invoke(env: dict[str, str], *args: str):
    return CliRunner().invoke(app, [*args, "--quiet", "--until", "2026-01-01T00:00:00"], env=env)


def test_wrong_api_id_reports_the_api_message_without_leaking_secrets(fake, cli_env, tmp_path) -> None:
    env = cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}", VOXRANK_DMM_API_ID="not-the-right-id")
    result = _invoke(env, "run")
    assert result.exit_code == 1
    assert "400 BAD REQUEST (api_id: Invalid Request Error)" in result.output
    assert "not-the-right-id" not in result.output


def test_wrong_affiliate_id_is_a_clear_400(fake, cli_env, tmp_path) -> None:
    env = cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}", VOXRANK_DMM_AFFILIATE_ID="voxrank-123")
    result = _invoke(env, "run")
    assert result.exit_code == 1
    assert "affiliate_id: Invalid Request Error" in result.output
    assert SECRET not in result.output


@pytest.mark.parametrize(
    ("option", "field"), [(["--site", "NOPE"], "site"), (["--floor", "nofloor"], "floor")]
)
def test_invalid_site_or_floor_is_a_clear_400(fake, cli_env, tmp_path, option, field) -> None:
    result = _invoke(cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}"), "run", *option)
    assert result.exit_code == 1
    assert f"{field}: Invalid Request Error" in result.output


def test_an_unreachable_database_is_named_without_its_password(fake, cli_env) -> None:
    env = cli_env(fake, "postgresql://sync:hunter2@127.0.0.1:1/catalog")
    result = _invoke(env, "run")
    assert result.exit_code == 1
    assert "cannot open postgresql+psycopg://sync:***@127.0.0.1:1/catalog" in result.output
    assert "hunter2" not in result.output


def test_a_sqlite_file_in_a_missing_folder_is_a_clear_error(fake, cli_env, tmp_path) -> None:
    result = _invoke(cli_env(fake, f"sqlite:///{tmp_path / 'absent' / 'c.db'}"), "run")
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_missing_credentials_name_the_variable(fake, cli_env, tmp_path) -> None:
    env = cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}", VOXRANK_DMM_API_ID="")
    result = _invoke(env, "run")
    assert result.exit_code == 1
    assert "VOXRANK_DMM_API_ID" in result.output


def test_a_failing_run_keeps_what_was_synced(fake, cli_env, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    assert _invoke(cli_env(fake, url), "run").exit_code == 0
    synced = count_items(url)

    failed = _invoke(cli_env(fake, url, VOXRANK_DMM_API_ID="wrong"), "run", "--fresh")

    assert failed.exit_code == 1
    assert count_items(url) == synced > 0
    assert SECRET.encode() not in (tmp_path / "c.db").read_bytes()


def test_resume_without_an_unfinished_sync_says_so(fake, cli_env, tmp_path) -> None:
    result = CliRunner().invoke(
        app, ["resume", "--quiet"], env=cli_env(fake, f"sqlite:///{tmp_path / 'c.db'}")
    )
    assert result.exit_code == 1
    assert "nothing to resume" in result.output
