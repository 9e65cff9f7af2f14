"""Which packages a change has to test, from the list of changed files.

A change inside a package tests it and every package that depends on it (read from the pyproject files
through `tools.package_graph`); a change to shared infrastructure tests everything; documentation alone
tests nothing. A folder under packages/ that is not a package fails loudly instead of testing nothing.

    python tools/ci_matrix.py packages/data-sync/src/voxrank/datasync/cli.py
    git diff --name-only origin/main... | python tools/ci_matrix.py --format text
    python tools/ci_matrix.py --since origin/main --format github >> "$GITHUB_OUTPUT"
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

if not __package__:
    # Run as `python tools/ci_matrix.py`: make the repository root importable.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.package_graph import (
    PACKAGES_DIR,
    ROOT,
    Package,
    UnknownPackageError,
    dependents_closure,
    load_packages,
)

SHARED_FILES = frozenset({"noxfile.py", "pyproject.toml", "constraints.txt", "Makefile"})
SHARED_FOLDERS = (".github/workflows", "tools", ".ci")
DOCS_FOLDERS = ("docs", "archive")
INTEGRATION_FOLDER = "tests/integration"


@dataclass
class Selection:
    """The outcome for a set of changed paths, with the reason each path counted."""

    packages: set[str] = field(default_factory=set)
    integration: bool = False
    tools: bool = False
    reasons: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "packages": sorted(self.packages),
            "include": [{"package": name} for name in sorted(self.packages)],
            "integration": self.integration,
            "tools": self.tools,
            "reasons": dict(sorted(self.reasons.items())),
        }


def _under(path: PurePosixPath, folder: str) -> bool:
    return path.parts[: len(PurePosixPath(folder).parts)] == PurePosixPath(folder).parts


def _is_docs(path: PurePosixPath) -> bool:
    if any(_under(path, folder) for folder in DOCS_FOLDERS):
        return True
    # Markdown is documentation unless it sits in a package's src/ (where it may be package data).
    in_package_src = len(path.parts) > 3 and path.parts[0] == "packages" and path.parts[2] == "src"
    return path.suffix.lower() == ".md" and not in_package_src


def _normalise_path(raw: str, root: Path) -> PurePosixPath:
    candidate = Path(raw.strip())
    if candidate.is_absolute():
        candidate = candidate.resolve().relative_to(root.resolve())
    return PurePosixPath(candidate.as_posix().removeprefix("./"))


def select(changed: Iterable[str], packages: dict[str, Package], root: Path = ROOT) -> Selection:
    """Packages to test (changed ones plus dependents) and whether integration and tools tests run."""
    selection = Selection()
    directly_changed: set[str] = set()
    for raw in changed:
        if not raw.strip():
            continue
        path = _normalise_path(raw, root)
        key = path.as_posix()
        if path.parts[0] == "packages" and len(path.parts) > 2:
            folder = path.parts[1]
            if folder not in packages:
                raise UnknownPackageError(
                    f"{key}: packages/{folder} is not a known package (no packages/{folder}/pyproject.toml); "
                    f"known: {', '.join(sorted(packages))}"
                )
            if _is_docs(path):
                selection.reasons[key] = f"documentation of {folder}"
                continue
            directly_changed.add(folder)
            selection.reasons[key] = f"package {folder}"
        elif _is_docs(path):
            selection.reasons[key] = "documentation"
        elif _under(path, INTEGRATION_FOLDER):
            selection.integration = True
            selection.reasons[key] = "integration tests"
        elif key in SHARED_FILES or any(_under(path, folder) for folder in SHARED_FOLDERS):
            selection.packages |= packages.keys()
            selection.integration = selection.tools = True
            selection.reasons[key] = "shared infrastructure"
        else:
            # Anything unclassified (a new top-level file) is tested conservatively.
            selection.packages |= packages.keys()
            selection.integration = True
            selection.reasons[key] = "unclassified path, testing everything"
    if directly_changed:
        selection.packages |= dependents_closure(directly_changed, packages)
        selection.integration = True
    return selection


def changed_since(ref: str, root: Path = ROOT) -> list[str]:
    """Files changed between the merge base of `ref` and HEAD, as a pull request shows them."""
    result = subprocess.run(
        ["git", "diff", "--name-only", f"{ref}...HEAD"], cwd=root, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"git diff against {ref!r} failed: {result.stderr.strip()}")
    return result.stdout.splitlines()


def render(selection: Selection, output_format: str) -> str:
    data = selection.as_dict()
    if output_format == "json":
        return json.dumps(data, indent=2)
    if output_format == "github":
        # One `key=value` line per job output, for `>> "$GITHUB_OUTPUT"`.
        return "\n".join(
            [
                f"packages={json.dumps(data['packages'])}",
                f"matrix={json.dumps({'include': data['include']})}",
                f"integration={str(selection.integration).lower()}",
                f"tools={str(selection.tools).lower()}",
            ]
        )
    lines = [f"packages to test: {', '.join(sorted(selection.packages)) or 'none'}"]
    lines.append(f"integration tests: {'yes' if selection.integration else 'no'}")
    lines.append(f"tools tests: {'yes' if selection.tools else 'no'}")
    lines.extend(f"  {path}: {reason}" for path, reason in selection.reasons.items())
    return "\n".join(lines)


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", help="changed files, relative to the repository root (or stdin)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--since", metavar="REF", help="use the files changed since the merge base with REF")
    source.add_argument("--all", action="store_true", help="select every package (e.g. pushes to main)")
    parser.add_argument("--format", choices=["json", "text", "github"], default="json", dest="output_format")
    parser.add_argument("--packages-dir", type=Path, default=PACKAGES_DIR, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    packages = load_packages(args.packages_dir)
    root = args.packages_dir.resolve().parent
    try:
        if args.all:
            selection = Selection(
                set(packages), integration=True, tools=True, reasons={"--all": "everything"}
            )
        else:
            if args.since:
                changed = changed_since(args.since, root)
            elif args.paths:
                changed = args.paths
            elif not sys.stdin.isatty():
                changed = sys.stdin.read().splitlines()
            else:
                print("ci_matrix: give changed paths as arguments, on stdin, or --since REF", file=sys.stderr)
                return 2
            selection = select(changed, packages, root)
    except (UnknownPackageError, RuntimeError, ValueError) as error:
        print(f"ci_matrix: error: {error}", file=sys.stderr)
        return 2
    print(render(selection, args.output_format))
    return 0


if __name__ == "__main__":
    sys.exit(main())
