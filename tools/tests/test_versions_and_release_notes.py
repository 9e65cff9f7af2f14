import subprocess
import sys
from pathlib import Path

import pytest

from tools import check_versions, release_notes
from tools.package_graph import ROOT, load_packages
from tools.tests.helpers import commit_all, git, write_package


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    packages_dir = tmp_path / "packages"
    write_package(packages_dir, "alpha", [], version="0.3.1")
    write_package(packages_dir, "beta", ["voxrank-alpha>=0.3,<0.4"], version="1.0.0")
    return packages_dir


def test_a_tag_that_matches_version_file_and_changelog_passes(workspace: Path) -> None:
    package, version = check_versions.check_tag("alpha-v0.3.1", load_packages(workspace))
    assert (package.folder, str(version)) == ("alpha", "0.3.1")


def test_a_tag_of_a_hyphenated_package_is_split_at_the_last_dash_v(workspace: Path) -> None:
    write_package(workspace, "ml-serving", [], version="0.2.0")
    package, version = check_versions.parse_tag("refs/tags/ml-serving-v0.2.0", load_packages(workspace))
    assert (package.folder, str(version)) == ("ml-serving", "0.2.0")


def test_a_tag_that_disagrees_with_the_version_file_is_refused(workspace: Path) -> None:
    with pytest.raises(check_versions.VersionError, match=r"says 0\.3\.2 but .*__about__\.py says 0\.3\.1"):
        check_versions.check_tag("alpha-v0.3.2", load_packages(workspace))


def test_a_release_without_a_changelog_heading_is_refused(workspace: Path) -> None:
    (workspace / "alpha" / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n- things\n")
    with pytest.raises(check_versions.VersionError, match=r"no '## \[0\.3\.1\]' heading"):
        check_versions.check_tag("alpha-v0.3.1", load_packages(workspace))


@pytest.mark.parametrize("tag", ["gamma-v1.0.0", "alpha-1.0.0", "alpha-vnext"])
def test_malformed_or_unknown_tags_are_refused(workspace: Path, tag: str) -> None:
    with pytest.raises(check_versions.VersionError):
        check_versions.check_tag(tag, load_packages(workspace))


def test_a_consistent_workspace_has_no_problems(workspace: Path) -> None:
    assert check_versions.workspace_problems(load_packages(workspace)) == []


def test_a_pinned_sibling_requirement_is_a_problem(workspace: Path) -> None:
    write_package(workspace, "gamma", ["voxrank-alpha==0.3.1"])
    problems = check_versions.workspace_problems(load_packages(workspace))
    assert problems == ["gamma: sibling requirement voxrank-alpha==0.3.1 must be a range, not pinned"]


def test_a_sibling_range_that_excludes_the_working_tree_is_a_problem(workspace: Path) -> None:
    write_package(workspace, "gamma", ["numpy"], extras={"feeds": ["voxrank-beta>=2.0"]})
    problems = check_versions.workspace_problems(load_packages(workspace))
    assert problems == ["gamma: voxrank-beta>=2.0 does not admit voxrank-beta 1.0.0 from the working tree"]


def test_an_extra_that_pulls_in_another_extra_of_the_same_package_is_no_sibling(workspace: Path) -> None:
    write_package(workspace, "gamma", ["numpy"], extras={"test": ["pytest", "voxrank-gamma[feeds]"]})
    assert check_versions.workspace_problems(load_packages(workspace)) == []


def test_the_repository_itself_is_consistent() -> None:
    assert check_versions.workspace_problems(load_packages()) == []


def test_cli_prints_github_outputs_for_a_good_tag(workspace: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "tools" / "check_versions.py"),
            "--tag",
            "beta-v1.0.0",
            "--format",
            "github",
            "--packages-dir",
            str(workspace),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["package=beta", "dist-name=voxrank-beta", "version=1.0.0"]


def test_cli_exits_non_zero_on_a_mismatched_tag(workspace: Path) -> None:
    assert check_versions.main(["--tag", "beta-v9.9.9", "--packages-dir", str(workspace)]) == 1


def test_release_notes_list_only_this_packages_commits_since_its_previous_tag(git_repo: Path) -> None:
    packages_dir = git_repo / "packages"
    write_package(packages_dir, "alpha", [])
    write_package(packages_dir, "beta", [])
    commit_all(git_repo, "initial layout")
    git(git_repo, "tag", "alpha-v0.1.0")
    for folder, subject in [
        ("alpha", "alpha: faster sync"),
        ("beta", "beta: unrelated"),
        ("alpha", "alpha: fix"),
    ]:
        (packages_dir / folder / "change.txt").write_text(subject)
        commit_all(git_repo, subject)
    git(git_repo, "tag", "beta-v0.1.0")
    git(git_repo, "tag", "alpha-v0.2.0")
    notes = release_notes.render_notes("alpha-v0.2.0", git_repo, packages_dir)
    assert "## voxrank-alpha 0.2.0" in notes
    assert "since alpha-v0.1.0" in notes
    subjects = [line.split(" (")[0] for line in notes.splitlines() if line.startswith("- ")]
    assert subjects == ["- alpha: fix", "- alpha: faster sync"]


def test_first_release_notes_cover_the_whole_history(git_repo: Path) -> None:
    packages_dir = git_repo / "packages"
    write_package(packages_dir, "alpha", [])
    commit_all(git_repo, "alpha: first")
    git(git_repo, "tag", "alpha-v0.1.0")
    notes = release_notes.render_notes("alpha-v0.1.0", git_repo, packages_dir)
    assert "since the start of the repository" in notes
    assert "- alpha: first (" in notes
