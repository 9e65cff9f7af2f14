import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from tools.archive_legacy import mover
from tools.archive_legacy.__main__ import main
from tools.archive_legacy.manifest import Manifest
from tools.package_graph import ROOT
from tools.tests.helpers import commit_all, git, init_repo
from tools.tests.legacy_tree import ANALYSIS_PY, BINARY, SYNC_JS, TRAIN

SHIPPED_MANIFEST = ROOT / "archive" / "MANIFEST.toml"


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """A repository with legacy scripts, one of them imported by live code and one named in the docs."""
    files = {
        "legacy/train_old.py": TRAIN,
        "legacy/sync_catalog.js": SYNC_JS,
        "legacy/plot_releases.py": ANALYSIS_PY,
        "legacy/dataset_helpers.py": "def load(path):\n    return open(path).read()\n",
        "jobs/nightly.py": "from legacy.dataset_helpers import load\n\nprint(load('x'))\n",
        "docs/operations.md": "Run `node legacy/sync_catalog.js` every night.\n",
        "archive/README.md": "Archived scripts.\n",
    }
    for relative, content in files.items():
        (git_repo / relative).parent.mkdir(parents=True, exist_ok=True)
        (git_repo / relative).write_text(content, encoding="utf-8")
    (git_repo / "archive" / "MANIFEST.toml").write_bytes(SHIPPED_MANIFEST.read_bytes())
    (git_repo / "legacy" / "model.bin.py").write_bytes(BINARY)
    commit_all(git_repo, "legacy layout")
    return git_repo


def archive(repo: Path, *args: str) -> int:
    return main(["--repo", str(repo), *args])


def snapshot(repo: Path) -> dict[str, bytes]:
    return {
        path.relative_to(repo).as_posix(): path.read_bytes()
        for path in sorted(repo.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(repo).parts
    }


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entries(repo: Path) -> list[dict]:
    return tomlkit.parse((repo / "archive" / "MANIFEST.toml").read_text()).unwrap().get("script", [])


def test_the_shipped_manifest_is_valid_and_empty() -> None:
    document = tomlkit.parse(SHIPPED_MANIFEST.read_text())
    assert document["format"] == 1
    assert Manifest(SHIPPED_MANIFEST).entries == []


def test_a_dry_run_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, status = snapshot(repo), git(repo, "status", "--porcelain")
    assert archive(repo, "legacy/train_old.py", "legacy/plot_releases.py") == 0
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == status
    out = capsys.readouterr().out
    assert "legacy/train_old.py -> archive/ml-training/legacy/train_old.py" in out
    assert "legacy/plot_releases.py -> archive/data-analysis/legacy/plot_releases.py" in out
    assert "dry run: nothing changed" in out


def test_apply_git_moves_the_script_and_records_it(repo: Path) -> None:
    original = (repo / "legacy" / "train_old.py").read_bytes()
    code = archive(
        repo, "legacy/train_old.py", "--reason", "superseded", "--replaced-by", "voxrank-train", "--apply"
    )
    assert code == 0
    archived = repo / "archive" / "ml-training" / "legacy" / "train_old.py"
    assert archived.read_bytes() == original
    assert not (repo / "legacy" / "train_old.py").exists()
    assert "R  legacy/train_old.py -> archive/ml-training/legacy/train_old.py" in git(
        repo, "status", "--porcelain"
    )
    [entry] = entries(repo)
    assert entry["original_path"] == "legacy/train_old.py"
    assert entry["archived_path"] == "archive/ml-training/legacy/train_old.py"
    assert entry["sha256"] == sha256(original)
    assert (entry["reason"], entry["replaced_by"], entry["source"]) == (
        "superseded",
        "voxrank-train",
        "repository",
    )
    assert str(entry["date"]).count("-") == 2
    assert archive(repo, "--check") == 0


def test_restore_brings_the_script_back_byte_identical(repo: Path) -> None:
    before = snapshot(repo)
    assert archive(repo, "legacy/train_old.py", "--apply") == 0
    assert archive(repo, "--restore", "train_old.py") == 0  # a dry run first
    assert (repo / "archive" / "ml-training" / "legacy" / "train_old.py").exists()
    assert archive(repo, "--restore", "train_old.py", "--apply") == 0
    assert snapshot(repo) == before
    assert entries(repo) == []
    assert git(repo, "status", "--porcelain") == ""


def test_a_script_imported_by_live_code_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(repo)
    assert archive(repo, "legacy/dataset_helpers.py", "--apply") == 1
    assert snapshot(repo) == before
    err = capsys.readouterr().err
    assert "refusing: legacy/dataset_helpers.py is still referenced" in err
    assert "jobs/nightly.py:1: from legacy.dataset_helpers import load" in err


def test_a_script_named_in_the_docs_is_refused(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert archive(repo, "legacy/sync_catalog.js", "--apply") == 1
    assert "docs/operations.md:1: Run `node legacy/sync_catalog.js` every night." in capsys.readouterr().err
    assert (repo / "legacy" / "sync_catalog.js").exists()


def test_force_needs_a_reason(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert archive(repo, "legacy/sync_catalog.js", "--force", "--apply") == 2
    assert "--force needs --reason" in capsys.readouterr().err
    assert (repo / "legacy" / "sync_catalog.js").exists()


def test_force_with_a_reason_archives_and_records_the_overridden_references(repo: Path) -> None:
    code = archive(
        repo, "legacy/sync_catalog.js", "--force", "--reason", "docs updated next release", "--apply"
    )
    assert code == 0
    [entry] = entries(repo)
    assert entry["name"] == "data-sync/legacy/sync_catalog.js"
    assert entry["forced"] is True
    assert entry["references"] == ["docs/operations.md:1: Run `node legacy/sync_catalog.js` every night."]


def test_an_untracked_script_is_copied_verified_then_removed(repo: Path) -> None:
    (repo / "legacy" / "scratch_copy.sh").write_text("#!/bin/sh\necho scratch\n")
    assert archive(repo, "legacy/scratch_copy.sh", "--group", "utility", "--apply") == 0
    assert (
        repo / "archive" / "utility" / "legacy" / "scratch_copy.sh"
    ).read_text() == "#!/bin/sh\necho scratch\n"
    assert not (repo / "legacy" / "scratch_copy.sh").exists()
    assert not list((repo / "archive").rglob(".*.archiving"))
    assert archive(repo, "--restore", "scratch_copy.sh", "--apply") == 0
    assert (repo / "legacy" / "scratch_copy.sh").read_text() == "#!/bin/sh\necho scratch\n"


def test_binary_scripts_move_byte_identical_into_the_unknown_group(repo: Path) -> None:
    assert archive(repo, "legacy/model.bin.py", "--apply") == 0
    assert (repo / "archive" / "unknown" / "legacy" / "model.bin.py").read_bytes() == BINARY


def test_a_failed_verification_rolls_the_whole_batch_back(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, status = snapshot(repo), git(repo, "status", "--porcelain")
    real_sha256 = mover.sha256_file

    def corrupted_destination(path: Path) -> str:
        # A disk that returns other bytes than were written: cannot be produced for real in a test.
        return "0" * 64 if path.name == "plot_releases.py" and "archive" in path.parts else real_sha256(path)

    monkeypatch.setattr(mover, "sha256_file", corrupted_destination)
    assert archive(repo, "legacy/train_old.py", "legacy/plot_releases.py", "--apply") == 2
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == status


def test_restore_refuses_an_archived_file_that_was_edited(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert archive(repo, "legacy/train_old.py", "--apply") == 0
    archived = repo / "archive" / "ml-training" / "legacy" / "train_old.py"
    archived.write_text(archived.read_text() + "# edited\n")
    assert archive(repo, "--check") == 1
    assert archive(repo, "--restore", "train_old.py", "--apply") == 2
    assert "no longer matches the sha256" in capsys.readouterr().err
    assert not (repo / "legacy" / "train_old.py").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["legacy/nope.py"], "legacy/nope.py: no such file"),
        (["--restore", "nope.py"], "'nope.py' is not in MANIFEST.toml"),
        (["legacy/train_old.py", "--group", "Bad Group"], "must be a lower-case folder name"),
        (["archive/README.md"], "already in archive/"),
    ],
)
def test_bad_input_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert archive(repo, *args) == 2
    assert message in capsys.readouterr().err


def test_from_copies_scripts_in_from_a_legacy_checkout_with_provenance(repo: Path, tmp_path: Path) -> None:
    legacy = init_repo(tmp_path / "old-ml-repo")
    (legacy / "train.py").write_text(TRAIN)
    commit_all(legacy, "old training")
    commit = git(legacy, "rev-parse", "HEAD").strip()
    assert archive(repo, "--from", str(legacy), "train.py", "--reason", "migrated", "--apply") == 0
    assert (legacy / "train.py").read_text() == TRAIN  # the legacy checkout is never touched
    assert (repo / "archive" / "ml-training" / "old-ml-repo" / "train.py").read_text() == TRAIN
    [entry] = entries(repo)
    assert (entry["source"], entry["origin"], entry["origin_commit"]) == ("external", "old-ml-repo", commit)
    assert entry["original_path"] == "train.py"


def test_the_nox_entry_point_runs_as_a_module(repo: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tools.archive_legacy", "--repo", str(repo), "--list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "lists no scripts" in result.stdout
