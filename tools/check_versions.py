"""Version consistency: the release tag, each package's `__about__.py`, its CHANGELOG and sibling ranges.

    python tools/check_versions.py                       # the working tree is consistent
    python tools/check_versions.py --tag ml-serving-v0.2.0 --format github >> "$GITHUB_OUTPUT"

Each package's version lives in one place, `src/voxrank/<module>/__about__.py`, which hatchling reads
(`[tool.hatch.version] path`). A tag `<package>-vX.Y.Z` must name a known package, equal that version
and have a `## [X.Y.Z]` heading in the package's CHANGELOG.md. Sibling requirements must be ranges
(never `==`) that admit the sibling's current version, so the working tree always resolves.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if not __package__:
    # Run as `python tools/check_versions.py`: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.package_graph import PACKAGES_DIR, Package, load_packages

_VERSION_ASSIGNMENT = re.compile(r"""^__version__\s*=\s*["']([^"']+)["']""", re.MULTILINE)
_CHANGELOG_HEADING = re.compile(r"^##\s+\[([^\]]+)\]", re.MULTILINE)


class VersionError(ValueError):
    """A tag, version file or changelog that does not agree with the rest."""


def _pyproject(package: Package) -> dict:
    return tomllib.loads((package.path / "pyproject.toml").read_text(encoding="utf-8"))


def version_file(package: Package) -> Path:
    """The file hatchling reads the version from."""
    relative = _pyproject(package).get("tool", {}).get("hatch", {}).get("version", {}).get("path")
    if not relative:
        raise VersionError(f"{package.folder}: pyproject.toml has no [tool.hatch.version] path")
    return package.path / relative


def read_version(package: Package) -> Version:
    path = version_file(package)
    match = _VERSION_ASSIGNMENT.search(path.read_text(encoding="utf-8"))
    if not match:
        raise VersionError(f'{path}: no `__version__ = "X.Y.Z"` line')
    try:
        return Version(match.group(1))
    except InvalidVersion as error:
        raise VersionError(f"{path}: {error}") from error


def changelog_versions(package: Package) -> set[str]:
    """Versions that have a `## [X.Y.Z]` heading in the package's CHANGELOG.md."""
    path = package.path / "CHANGELOG.md"
    if not path.is_file():
        return set()
    return set(_CHANGELOG_HEADING.findall(path.read_text(encoding="utf-8"))) - {"Unreleased"}


def parse_tag(tag: str, packages: dict[str, Package]) -> tuple[Package, Version]:
    """`ml-serving-v1.2.3` (or `refs/tags/ml-serving-v1.2.3`) -> (the ml-serving package, 1.2.3)."""
    name = tag.removeprefix("refs/tags/")
    folder, separator, version_text = name.rpartition("-v")
    if not separator or not folder:
        raise VersionError(f"tag {name!r} is not of the form <package>-vX.Y.Z")
    if folder not in packages:
        raise VersionError(
            f"tag {name!r} names unknown package {folder!r}; known: {', '.join(sorted(packages))}"
        )
    try:
        return packages[folder], Version(version_text)
    except InvalidVersion as error:
        raise VersionError(f"tag {name!r}: {error}") from error


def check_tag(tag: str, packages: dict[str, Package]) -> tuple[Package, Version]:
    """The tagged package and version, after checking them against `__about__.py` and the CHANGELOG."""
    package, tagged = parse_tag(tag, packages)
    current = read_version(package)
    if tagged != current:
        raise VersionError(
            f"tag {tag!r} says {tagged} but {version_file(package).relative_to(package.path.parent.parent)} "
            f"says {current}"
        )
    if str(tagged) not in changelog_versions(package):
        raise VersionError(f"{package.folder}/CHANGELOG.md has no '## [{tagged}]' heading for the release")
    return package, tagged


def _sibling_requirements(package: Package, dist_names: set[str]) -> list[Requirement]:
    project = _pyproject(package).get("project", {})
    texts = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        texts.extend(extra)
    requirements = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            raise VersionError(f"{package.folder}: {error}") from error
        name = canonicalize_name(requirement.name)
        # `pkg[test]` pulling in `pkg[extra]` names the package itself, not a sibling to keep in range.
        if name in dist_names and name != canonicalize_name(package.dist_name):
            requirements.append(requirement)
    return requirements


def workspace_problems(packages: dict[str, Package]) -> list[str]:
    """Every inconsistency in the working tree, as one line each (empty when all is well)."""
    problems: list[str] = []
    versions: dict[str, Version] = {}
    for package in packages.values():
        try:
            versions[package.dist_name] = read_version(package)
        except (VersionError, OSError) as error:
            problems.append(str(error))
    for package in packages.values():
        for requirement in _sibling_requirements(package, set(versions)):
            operators = {spec.operator for spec in requirement.specifier}
            sibling_version = versions[canonicalize_name(requirement.name)]
            if not operators or operators & {"==", "==="}:
                problems.append(
                    f"{package.folder}: sibling requirement {requirement} must be a range, not pinned"
                )
            elif not requirement.specifier.contains(sibling_version, prereleases=True):
                problems.append(
                    f"{package.folder}: {requirement} does not admit {requirement.name} {sibling_version} "
                    "from the working tree"
                )
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tag", help="a release tag <package>-vX.Y.Z to check against the working tree")
    parser.add_argument("--format", choices=["text", "github"], default="text", dest="output_format")
    parser.add_argument("--packages-dir", type=Path, default=PACKAGES_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    packages = load_packages(args.packages_dir)
    problems = workspace_problems(packages)
    released: tuple[Package, Version] | None = None
    if args.tag:
        try:
            released = check_tag(args.tag, packages)
        except (VersionError, OSError) as error:
            problems.append(str(error))
    for problem in problems:
        print(f"check_versions: error: {problem}", file=sys.stderr)
    if problems:
        return 1
    if released and args.output_format == "github":
        package, version = released
        print(f"package={package.folder}\ndist-name={package.dist_name}\nversion={version}")
    elif released:
        print(f"{released[0].dist_name} {released[1]}: tag, __about__.py and CHANGELOG agree")
    else:
        print(", ".join(f"{p.dist_name} {read_version(p)}" for p in packages.values()) + ": consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
