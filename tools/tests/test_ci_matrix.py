import json
import subprocess
import sys
from pathlib import Path

import pytest

from tools import ci_matrix
from tools.package_graph import ROOT, UnknownPackageError, load_packages
from tools.tests.helpers import git, write_package

REAL_PACKAGES = load_packages()


def selected(*paths: str) -> list[str]:
    return sorted(ci_matrix.select(paths, REAL_PACKAGES).packages)


def test_a_leaf_change_tests_the_leaf_and_every_dependent() -> None:
    assert selected("packages/data-sync/src/voxrank/datasync/cli.py") == [
        "data-sync",
        "ml-serving",
        "ml-training",
    ]


def test_a_change_at_the_top_of_the_graph_tests_only_that_package() -> None:
    assert selected("packages/ml-training/tests/test_cli.py") == ["ml-training"]


def test_serving_change_tests_serving_and_training() -> None:
    assert selected("packages/ml-serving/pyproject.toml") == ["ml-serving", "ml-training"]


@pytest.mark.parametrize(
    "path",
    [
        "noxfile.py",
        "pyproject.toml",
        "constraints.txt",
        "Makefile",
        ".github/workflows/ci.yml",
        "tools/package_graph.py",
        ".ci/run",
    ],
)
def test_shared_infrastructure_tests_everything(path: str) -> None:
    selection = ci_matrix.select([path], REAL_PACKAGES)
    assert selection.packages == set(REAL_PACKAGES)
    assert selection.tools and selection.integration


@pytest.mark.parametrize(
    "path",
    [
        "README.md",
        "docs/RELEASING.md",
        "archive/MANIFEST.toml",
        "archive/ml-training/train.py",
        "packages/data-sync/README.md",
        "packages/ml-serving/CHANGELOG.md",
    ],
)
def test_documentation_alone_tests_nothing(path: str) -> None:
    selection = ci_matrix.select([path], REAL_PACKAGES)
    assert selection.packages == set()
    assert not selection.integration and not selection.tools


def test_markdown_inside_a_package_source_counts_as_code() -> None:
    assert selected("packages/ml-serving/src/voxrank/serving/templates/report.md") == [
        "ml-serving",
        "ml-training",
    ]


def test_integration_tests_alone_run_only_the_integration_job() -> None:
    selection = ci_matrix.select(["tests/integration/test_install_isolation.py"], REAL_PACKAGES)
    assert selection.packages == set() and selection.integration


def test_unknown_package_folder_fails_loudly() -> None:
    with pytest.raises(UnknownPackageError, match="packages/web-ui is not a known package"):
        ci_matrix.select(["packages/web-ui/src/app.ts"], REAL_PACKAGES)


def test_dependents_are_read_from_the_pyproject_files(tmp_path: Path) -> None:
    packages_dir = tmp_path / "packages"
    write_package(packages_dir, "alpha", ["httpx>=0.27"])
    write_package(packages_dir, "beta", ["numpy"], extras={"feeds": ["voxrank-alpha>=0.1,<0.2"]})
    write_package(packages_dir, "gamma", ["voxrank-beta>=0.1,<0.2"])
    write_package(packages_dir, "delta", ["voxrank-alpha>=0.1,<0.2"])
    graph = load_packages(packages_dir)
    assert ci_matrix.select(["packages/alpha/x.py"], graph, tmp_path).packages == {
        "alpha",
        "beta",
        "gamma",
        "delta",
    }
    assert ci_matrix.select(["packages/beta/x.py"], graph, tmp_path).packages == {"beta", "gamma"}
    assert ci_matrix.select(["packages/delta/x.py"], graph, tmp_path).packages == {"delta"}


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "ci_matrix.py"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


def test_cli_prints_a_github_actions_matrix_as_json() -> None:
    result = run_cli("packages/data-sync/src/voxrank/datasync/cli.py")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["packages"] == ["data-sync", "ml-serving", "ml-training"]
    assert data["include"] == [
        {"package": "data-sync"},
        {"package": "ml-serving"},
        {"package": "ml-training"},
    ]


def test_cli_reads_paths_from_stdin_and_prints_github_outputs() -> None:
    result = run_cli("--format", "github", stdin="README.md\ndocs/index.md\n")
    assert result.returncode == 0, result.stderr
    assert "packages=[]" in result.stdout.splitlines()
    assert "integration=false" in result.stdout.splitlines()


def test_cli_human_mode_explains_each_path() -> None:
    result = run_cli("--format", "text", "noxfile.py")
    assert "packages to test: data-sync, ml-serving, ml-training" in result.stdout
    assert "noxfile.py: shared infrastructure" in result.stdout


def test_cli_exits_non_zero_with_a_clear_message_for_an_unknown_package() -> None:
    result = run_cli("packages/nonexistent/src/a.py")
    assert result.returncode == 2
    assert "packages/nonexistent is not a known package" in result.stderr
    assert result.stdout == ""


def test_since_reads_the_changes_of_a_branch_from_git(git_repo: Path) -> None:
    packages_dir = git_repo / "packages"
    write_package(packages_dir, "alpha", [])
    write_package(packages_dir, "beta", ["voxrank-alpha>=0.1,<0.2"])
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "base")
    git(git_repo, "checkout", "-qb", "feature")
    (packages_dir / "beta" / "src" / "voxrank" / "beta" / "new.py").write_text("x = 1\n")
    (git_repo / "README.md").write_text("# docs\n")
    git(git_repo, "add", ".")
    git(git_repo, "commit", "-qm", "change beta")
    assert ci_matrix.changed_since("main", git_repo) == ["README.md", "packages/beta/src/voxrank/beta/new.py"]
    result = run_cli("--since", "main", "--packages-dir", str(packages_dir))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["packages"] == ["beta"]
