import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools.package_graph import ROOT
from tools.script_audit.audit import run_audit
from tools.script_audit.inventory import AuditInputError
from tools.script_audit.tokens import fingerprint, tokens
from tools.tests.legacy_tree import EXPECTED_PURPOSE, write_legacy_tree


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = write_legacy_tree(tmp_path_factory.mktemp("audit") / "legacy")
    return run_audit(root, quiet=True).to_dict()


def by_path(audit: dict) -> dict[str, dict]:
    return {entry["path"]: entry for entry in audit["scripts"]}


def test_byte_identical_copies_are_grouped_whatever_their_names(audit: dict) -> None:
    assert audit["exact_groups"] == [
        ["ml/old/train_diarization.py", "ml/train_diarization.py"],
        ["scripts/catalog_sync_copy.js", "sync/sync_catalog.js"],
    ]


def test_copies_differing_only_in_whitespace_and_comments_are_grouped(audit: dict) -> None:
    assert audit["normalised_groups"] == [
        ["ml/old/train_diarization.py", "ml/train_diarization.py", "ml/train_diarization_backup.py"]
    ]


def test_edited_and_renamed_copies_are_near_duplicates_with_a_score(audit: dict) -> None:
    pairs = {(p["first"], p["second"]): p for p in audit["near_duplicates"]}
    edited = pairs[("experiments/train_diarization_v2.py", "ml/train_diarization.py")]
    assert edited["kind"] == "similar code"
    assert 0.8 <= edited["score"] < 1.0
    renamed = pairs[("experiments/fit_speakers.py", "ml/train_diarization.py")]
    assert renamed["kind"] == "renamed identifiers"
    assert renamed["score"] >= 0.9
    # Nothing unrelated is paired: every pair is inside the training family.
    family = {"ml/train_diarization.py", "experiments/train_diarization_v2.py", "experiments/fit_speakers.py"}
    assert all({p["first"], p["second"]} <= family for p in audit["near_duplicates"])


def test_every_script_is_classified_by_purpose(audit: dict) -> None:
    scripts = by_path(audit)
    assert {path: scripts[path]["purpose"] for path in EXPECTED_PURPOSE} == EXPECTED_PURPOSE
    assert all(
        scripts[path]["evidence"] for path, purpose in EXPECTED_PURPOSE.items() if purpose != "unknown"
    )


def test_each_family_keeps_one_canonical_copy_and_archives_or_merges_the_rest(audit: dict) -> None:
    actions = {path: (entry["action"], entry["target"]) for path, entry in by_path(audit).items()}
    assert actions["ml/train_diarization.py"] == ("keep", None)
    assert actions["ml/old/train_diarization.py"] == ("archive", "ml/train_diarization.py")
    assert actions["ml/train_diarization_backup.py"] == ("archive", "ml/train_diarization.py")
    assert actions["experiments/train_diarization_v2.py"] == ("merge", "ml/train_diarization.py")
    assert actions["experiments/fit_speakers.py"] == ("merge", "ml/train_diarization.py")
    assert actions["sync/sync_catalog.js"] == ("keep", None)
    assert actions["scripts/catalog_sync_copy.js"] == ("archive", "sync/sync_catalog.js")
    assert actions["deploy/serve.py"] == ("keep", None)


def test_families_list_every_copy_under_the_one_to_keep(audit: dict) -> None:
    assert audit["families"] == [
        {
            "keep": "ml/train_diarization.py",
            "archive": ["ml/old/train_diarization.py", "ml/train_diarization_backup.py"],
            "merge": ["experiments/fit_speakers.py", "experiments/train_diarization_v2.py"],
        },
        {"keep": "sync/sync_catalog.js", "archive": ["scripts/catalog_sync_copy.js"], "merge": []},
    ]


def test_binary_and_non_utf8_scripts_are_skipped_with_the_reason(audit: dict) -> None:
    skipped = {item["path"]: item["reason"] for item in audit["skipped"]}
    assert skipped == {
        "broken/compiled.py": "binary file (contains NUL bytes)",
        "broken/latin1_notes.py": "not UTF-8 (byte 0xe9 at offset 3)",
    }


def test_counts_cover_every_language_and_ignore_vendored_and_non_script_files(audit: dict) -> None:
    summary = audit["summary"]
    assert summary["by_language"] == {"javascript": 3, "python": 8, "shell": 3, "typescript": 1}
    assert summary["scripts"] == 15
    assert "node_modules/left-pad/index.js" not in by_path(audit)


def test_a_higher_threshold_keeps_only_the_closest_pairs(tmp_path: Path) -> None:
    result = run_audit(write_legacy_tree(tmp_path / "legacy"), threshold=0.99, quiet=True).to_dict()
    pairs = [(p["first"], p["second"], p["score"]) for p in result["near_duplicates"]]
    # The edited copy (new layer, new defaults) falls below 0.99; the purely renamed copy does not.
    assert pairs == [("experiments/fit_speakers.py", "ml/train_diarization.py", 1.0)]
    assert len(result["exact_groups"]) == 2


def test_an_unreadable_script_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "ok.sh").write_text("echo fine\n")
    (tmp_path / "dangling.py").symlink_to(tmp_path / "missing-target.py")
    result = run_audit(tmp_path, quiet=True)
    assert [entry.path for entry in result.scripts] == ["ok.sh"]
    assert result.skipped[0].path == "dangling.py"
    assert result.skipped[0].reason.startswith("unreadable: ")


def test_a_missing_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(AuditInputError, match="no such folder"):
        run_audit(tmp_path / "nope", quiet=True)


@pytest.mark.parametrize(
    ("language", "first", "second"),
    [
        ("python", "x = 1  # one\n\n\ny=2\n", "# header\nx = 1\ny = 2  # two\n"),
        ("javascript", "/* a */ let a = 1; // b\n", "let a=1;\n"),
        ("typescript", "const a: number = 1;\n", "// typed\nconst a : number = 1 ;"),
        ("shell", "#!/bin/sh\necho $# # count\n", "echo   $#\n"),
    ],
)
def test_whitespace_and_comments_do_not_change_the_fingerprint(
    language: str, first: str, second: str
) -> None:
    assert fingerprint(tokens(first, language)) == fingerprint(tokens(second, language))


def test_a_hash_inside_a_string_is_code_not_a_comment() -> None:
    assert fingerprint(tokens('print("#1")\n', "python")) != fingerprint(tokens('print("#2")\n', "python"))


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.script_audit", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def test_cli_writes_a_markdown_report_and_the_same_data_as_json(tmp_path: Path) -> None:
    root = write_legacy_tree(tmp_path / "legacy")
    result = run_cli(str(root), "--out", str(tmp_path / "report"), "--threshold", "0.8")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "report" / "script-audit.json").read_text())
    markdown = (tmp_path / "report" / "script-audit.md").read_text()
    assert data["summary"]["exact_groups"] == 2
    for group in data["exact_groups"] + data["normalised_groups"]:
        for path in group:
            assert f"`{path}`" in markdown
    assert "| `experiments/fit_speakers.py` | python |" in markdown
    assert "merge into `ml/train_diarization.py`" in markdown
    assert "- keep `sync/sync_catalog.js`\n  - archive `scripts/catalog_sync_copy.js` (same code)" in markdown
    assert "| ml-training | 5 | 33% |" in markdown
    assert "`broken/latin1_notes.py` | python | not UTF-8" in markdown
    assert "skipped broken/compiled.py: binary file" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["does-not-exist"], "does-not-exist: no such folder"),
        (["noxfile.py"], "noxfile.py: not a folder"),
        ([".", "--threshold", "1.5"], "1.5 is not between 0 (exclusive) and 1"),
    ],
)
def test_cli_bad_input_gives_a_clear_message_and_a_non_zero_exit(args: list[str], message: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())
