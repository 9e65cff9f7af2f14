"""The workspace's packages and who depends on whom, read from each package's pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES_DIR = ROOT / "packages"

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


class UnknownPackageError(LookupError):
    """A folder under packages/ or a name that is not a workspace package."""


@dataclass(frozen=True)
class Package:
    folder: str
    dist_name: str
    path: Path
    internal_dependencies: frozenset[str]
    """Folders of the sibling packages this one requires, directly or through an extra it uses."""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_names(pyproject: dict) -> set[str]:
    project = pyproject.get("project", {})
    requirements = list(project.get("dependencies", []))
    for extra_requirements in project.get("optional-dependencies", {}).values():
        requirements.extend(extra_requirements)
    names = set()
    for requirement in requirements:
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.add(_normalise(match.group(1)))
    return names


def load_packages(packages_dir: Path = PACKAGES_DIR) -> dict[str, Package]:
    """Every package under `packages_dir`, keyed by folder name."""
    raw: dict[str, tuple[str, Path, set[str]]] = {}
    for pyproject_path in sorted(packages_dir.glob("*/pyproject.toml")):
        data = tomllib.loads(pyproject_path.read_text(encoding="utf-8"))
        dist_name = _normalise(data["project"]["name"])
        raw[pyproject_path.parent.name] = (dist_name, pyproject_path.parent, _requirement_names(data))
    folder_by_dist = {dist: folder for folder, (dist, _, _) in raw.items()}
    return {
        folder: Package(
            folder=folder,
            dist_name=dist,
            path=path,
            internal_dependencies=frozenset(
                folder_by_dist[name] for name in requirements if name in folder_by_dist and name != dist
            ),
        )
        for folder, (dist, path, requirements) in raw.items()
    }


def dependency_closure(folder: str, packages: dict[str, Package]) -> list[str]:
    """`folder`'s sibling dependencies, transitively, dependencies before dependents (itself excluded)."""
    if folder not in packages:
        raise UnknownPackageError(f"unknown package {folder!r}; known: {', '.join(sorted(packages))}")
    ordered: list[str] = []

    def visit(name: str) -> None:
        for dependency in sorted(packages[name].internal_dependencies):
            if dependency not in ordered:
                visit(dependency)
                ordered.append(dependency)

    visit(folder)
    return ordered


def dependents_closure(folders: set[str], packages: dict[str, Package]) -> set[str]:
    """`folders` plus every package that depends on any of them, transitively."""
    unknown = folders - packages.keys()
    if unknown:
        raise UnknownPackageError(
            f"unknown package folder(s) {', '.join(sorted(unknown))} under packages/; "
            f"known: {', '.join(sorted(packages))}"
        )
    selected = set(folders)
    changed = True
    while changed:
        changed = False
        for name, package in packages.items():
            if name not in selected and package.internal_dependencies & selected:
                selected.add(name)
                changed = True
    return selected
