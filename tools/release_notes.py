"""Release notes for one package: its commits since its previous tag, from `git log -- packages/<pkg>`.

    python tools/release_notes.py ml-serving-v0.2.0 > notes.md

Only commits that touched the package's folder count, so a release of one package does not list the
work done in its siblings.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

if not __package__:
    # Run as `python tools/release_notes.py`: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.check_versions import VersionError, parse_tag
from tools.package_graph import PACKAGES_DIR, load_packages


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False)


def previous_tag(tag: str, folder: str, repo: Path) -> str | None:
    """The newest tag of the same package reachable from `tag`'s parent, if any."""
    result = _git(repo, "describe", "--tags", "--abbrev=0", "--match", f"{folder}-v*", f"{tag}^")
    if result.returncode != 0:
        return None  # no earlier release of this package
    return result.stdout.strip()


def package_commits(tag: str, folder: str, repo: Path) -> tuple[str | None, list[str]]:
    """(previous tag, one `subject (short sha)` line per commit touching packages/<folder>)."""
    previous = previous_tag(tag, folder, repo)
    revisions = f"{previous}..{tag}" if previous else tag
    result = _git(repo, "log", "--no-merges", "--format=%s (%h)", revisions, "--", f"packages/{folder}")
    if result.returncode != 0:
        raise VersionError(f"git log for {tag!r} failed: {result.stderr.strip()}")
    return previous, result.stdout.splitlines()


def render_notes(tag: str, repo: Path, packages_dir: Path) -> str:
    package, version = parse_tag(tag, load_packages(packages_dir))
    previous, commits = package_commits(tag, package.folder, repo)
    since = f"since {previous}" if previous else "since the start of the repository"
    lines = [f"## {package.dist_name} {version}", "", f"Changes to `packages/{package.folder}` {since}:", ""]
    lines.extend(f"- {commit}" for commit in commits)
    if not commits:
        lines.append("- No commits touched this package.")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tag", help="the release tag, <package>-vX.Y.Z")
    parser.add_argument("--packages-dir", type=Path, default=PACKAGES_DIR, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        notes = render_notes(args.tag, args.packages_dir.resolve().parent, args.packages_dir)
    except VersionError as error:
        print(f"release_notes: error: {error}", file=sys.stderr)
        return 1
    print(notes, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
