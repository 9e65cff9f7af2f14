"""`python -m tools.archive_legacy` (nox: `nox -s archive -- ...`); dry run unless --apply."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tools.archive_legacy.archiver import (
    ArchiveError,
    ArchiveRequest,
    ReferencedError,
    apply_archive,
    apply_restore,
    check,
    manifest_path,
    plan_archive,
    plan_restore,
)
from tools.archive_legacy.manifest import Manifest, ManifestError
from tools.archive_legacy.mover import MoveError
from tools.package_graph import ROOT

DEFAULT_REASON = "legacy script superseded by the voxrank packages"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.archive_legacy",
        description="Archive legacy scripts into archive/<group>/ with provenance in archive/MANIFEST.toml. "
        "Dry run unless --apply; never deletes; refuses scripts that are still referenced.",
    )
    parser.add_argument("scripts", nargs="*", help="scripts to archive (in this repository, or in --from)")
    parser.add_argument("--apply", action="store_true", help="act; without it, only show what would happen")
    parser.add_argument("--reason", help=f"why they are archived (default: {DEFAULT_REASON!r})")
    parser.add_argument("--replaced-by", default="", help="what replaces them, e.g. 'voxrank-train fit'")
    parser.add_argument("--group", help="archive/<group>/ folder (default: the script audit's purpose class)")
    parser.add_argument("--force", action="store_true", help="archive even if referenced (needs --reason)")
    parser.add_argument(
        "--from", dest="external", type=Path, metavar="CHECKOUT", help="copy them in from a legacy checkout"
    )
    parser.add_argument("--restore", metavar="NAME", help="bring an archived script back, byte-identical")
    parser.add_argument("--list", action="store_true", help="list the archived scripts")
    parser.add_argument("--check", action="store_true", help="verify every archived file against its sha256")
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to work in (default: this one)")
    return parser


def _list(repo: Path) -> int:
    entries = Manifest(manifest_path(repo)).entries
    if not entries:
        print("archive/MANIFEST.toml lists no scripts. Archive one with: nox -s archive -- PATH --reason WHY")
    for entry in entries:
        replaced = f" -> {entry.replaced_by}" if entry.replaced_by else ""
        print(f"{entry.name}  (from {entry.original_path}, {entry.date}){replaced}: {entry.reason}")
    return 0


def _check(repo: Path) -> int:
    problems = check(repo)
    for problem in problems:
        print(f"archive: {problem}", file=sys.stderr)
    if not problems:
        print(f"archive: {len(Manifest(manifest_path(repo)).entries)} archived script(s), all intact")
    return 1 if problems else 0


def _restore(repo: Path, name: str, apply: bool) -> int:
    entry, move = plan_restore(repo, name)
    print(f"restore {entry.archived_path} -> {entry.original_path} (sha256 {entry.sha256[:12]})")
    if not apply:
        print("dry run: nothing changed; add --apply to restore")
        return 0
    apply_restore(repo, entry, move)
    print(f"restored {entry.original_path}, byte-identical; removed from the manifest")
    return 0


def _archive(args: argparse.Namespace) -> int:
    if args.force and not args.reason:
        raise ArchiveError("--force needs --reason saying why the references do not matter")
    request = ArchiveRequest(
        args.scripts,
        args.reason or DEFAULT_REASON,
        args.replaced_by,
        args.group,
        args.external.absolute() if args.external else None,
        args.force,
    )
    plan = plan_archive(args.repo.absolute(), request)
    origin = f" from {plan.entries[0].origin}@{plan.entries[0].origin_commit[:12]}" if args.external else ""
    for entry in plan.entries:
        forced = f" (forced past {len(entry.references)} reference(s))" if entry.forced else ""
        print(f"archive {entry.original_path}{origin} -> {entry.archived_path}{forced}")
    if not args.apply:
        print("dry run: nothing changed; add --apply to archive")
        return 0
    apply_archive(args.repo.absolute(), plan)
    print(
        f"archived {len(plan.entries)} script(s); each verified by sha256 and listed in archive/MANIFEST.toml"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    repo = args.repo.absolute()
    try:
        if args.check:
            return _check(repo)
        if args.restore:
            return _restore(repo, args.restore, args.apply)
        if args.list or not args.scripts:
            return _list(repo)
        return _archive(args)
    except ReferencedError as error:
        print(f"archive: refusing: {error}", file=sys.stderr)
        return 1
    except (ArchiveError, ManifestError, MoveError, OSError) as error:
        print(f"archive: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
