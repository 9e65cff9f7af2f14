"""Builders shared by the repository-tool tests: small package trees and git repositories."""

from __future__ import annotations

import subprocess
from pathlib import Path


def write_package(
    packages_dir: Path,
    folder: str,
    dependencies: list[str],
    extras: dict[str, list[str]] | None = None,
    version: str = "0.1.0",
) -> Path:
    """A minimal hatchling package `voxrank-<folder>` declaring `dependencies` (and optional extras)."""
    package = packages_dir / folder
    module = folder.replace("-", "")
    (package / "src" / "voxrank" / module).mkdir(parents=True)
    lines = [
        "[project]",
        f'name = "voxrank-{folder}"',
        'dynamic = ["version"]',
        f"dependencies = {dependencies!r}".replace("'", '"'),
    ]
    if extras:
        lines.append("[project.optional-dependencies]")
        lines.extend(f"{name} = {requirements!r}".replace("'", '"') for name, requirements in extras.items())
    lines += ["[tool.hatch.version]", f'path = "src/voxrank/{module}/__about__.py"']
    (package / "pyproject.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (package / "src" / "voxrank" / module / "__about__.py").write_text(f'__version__ = "{version}"\n')
    (package / "CHANGELOG.md").write_text(f"# Changelog\n\n## [Unreleased]\n\n## [{version}] - 2026-11-01\n")
    return package


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


def init_repo(repo: Path) -> Path:
    """An empty git repository with an identity, so tests can commit."""
    repo.mkdir(parents=True, exist_ok=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "tests@example.invalid")
    git(repo, "config", "user.name", "voxrank tests")
    git(repo, "config", "commit.gpgsign", "false")
    return repo


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
