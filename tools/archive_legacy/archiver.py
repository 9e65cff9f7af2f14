"""Planning and carrying out archive and restore operations; nothing changes until `apply_*`."""

from __future__ import annotations

import datetime
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tools.archive_legacy.manifest import Entry, Manifest
from tools.archive_legacy.mover import Move, run_all, sha256_file
from tools.archive_legacy.references import Reference, find_references
from tools.script_audit.classify import UNKNOWN, classify
from tools.script_audit.inventory import LANGUAGES, Script, read_script

ARCHIVE_DIR = "archive"
MANIFEST_NAME = "MANIFEST.toml"
_GROUP = re.compile(r"^[a-z0-9][a-z0-9._\-]*$")


class ArchiveError(Exception):
    """Bad input: a missing script, an unknown name, a destination already taken."""


class ReferencedError(ArchiveError):
    """Scripts that something outside archive/ still uses."""

    def __init__(self, references: dict[str, list[Reference]]) -> None:
        self.references = references
        lines = []
        for script, found in references.items():
            lines.append(f"{script} is still referenced:")
            lines.extend(f"  {reference}" for reference in found)
        super().__init__(
            "\n".join(lines) + "\nupdate those files first, or pass --force --reason WHY to archive anyway"
        )


@dataclass
class Plan:
    entries: list[Entry] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)


def manifest_path(repo: Path) -> Path:
    return repo / ARCHIVE_DIR / MANIFEST_NAME


def default_group(path: Path) -> str:
    """The script audit's purpose class, so archive/ is sorted the way the audit report reads."""
    if path.suffix.lower() not in LANGUAGES:
        return UNKNOWN
    outcome = read_script(path, path.parent)
    return classify(outcome).purpose if isinstance(outcome, Script) else UNKNOWN


def _inside(base: Path, raw: str) -> Path:
    candidate = Path(os.path.normpath(Path.cwd() / raw))
    if not candidate.is_relative_to(base):
        candidate = Path(os.path.normpath(base / raw))
    if not candidate.is_relative_to(base):
        raise ArchiveError(f"{raw}: not inside {base.name}/")
    if candidate.is_symlink():
        raise ArchiveError(f"{raw}: is a symbolic link; archive the file it points to")
    if not candidate.is_file():
        raise ArchiveError(f"{raw}: no such file")
    return candidate


def _git_output(folder: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=folder, capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def describe_origin(checkout: Path) -> tuple[str, str]:
    """(where the checkout came from, its commit); local paths are replaced by the folder name."""
    remote = _git_output(checkout, "remote", "get-url", "origin")
    remote = re.sub(r"//[^/@]+@", "//", remote)  # never record credentials embedded in a URL
    if not remote or remote.startswith(("/", "file:", ".")):
        remote = checkout.name
    return remote, _git_output(checkout, "rev-parse", "HEAD")


@dataclass(frozen=True)
class ArchiveRequest:
    scripts: list[str]
    reason: str
    replaced_by: str = ""
    group: str | None = None
    """archive/<group>/; None lets the script audit's purpose class decide per script."""
    external: Path | None = None
    """A legacy checkout to copy the scripts from, instead of moving them within the repository."""
    force: bool = False


def plan_archive(repo: Path, request: ArchiveRequest) -> Plan:
    """What archiving the request's scripts would do; raises ReferencedError unless `force`."""
    group, external = request.group, request.external
    if group is not None and not _GROUP.match(group):
        raise ArchiveError(f"group {group!r} must be a lower-case folder name such as ml-training")
    base = (external or repo).absolute()
    origin, commit = describe_origin(base) if external else ("", "")
    manifest = Manifest(manifest_path(repo))
    sources = [_inside(base, raw) for raw in request.scripts]
    relatives = [source.relative_to(base).as_posix() for source in sources]
    if not external:
        archived = [relative for relative in relatives if relative.split("/")[0] == ARCHIVE_DIR]
        if archived:
            raise ArchiveError(f"already in {ARCHIVE_DIR}/: {', '.join(archived)}")
    references = {} if external else find_references(repo, relatives, ARCHIVE_DIR)
    references = {script: refs for script, refs in references.items() if refs}
    if references and not request.force:
        raise ReferencedError(references)
    plan = Plan()
    today = datetime.datetime.now(datetime.UTC).date()
    for source, relative in zip(sources, relatives, strict=True):
        folder = group or default_group(source)
        name = f"{folder}/{Path(origin).stem}/{relative}" if external else f"{folder}/{relative}"
        if any(entry.name == name for entry in [*manifest.entries, *plan.entries]):
            raise ArchiveError(f"{ARCHIVE_DIR}/{name} is already taken")
        digest = sha256_file(source)
        found = [str(reference) for reference in references.get(relative, [])]
        plan.entries.append(
            Entry(
                name=name,
                original_path=relative,
                sha256=digest,
                reason=request.reason,
                replaced_by=request.replaced_by,
                date=today,
                source="external" if external else "repository",
                origin=origin,
                origin_commit=commit,
                forced=bool(found),
                references=found,
            )
        )
        destination = repo / ARCHIVE_DIR / name
        if destination.exists():
            raise ArchiveError(
                f"{ARCHIVE_DIR}/{name} exists but is not in the manifest; refusing to overwrite"
            )
        plan.moves.append(
            Move(repo.absolute(), source, destination.absolute(), digest, keep_source=bool(external))
        )
    return plan


def apply_archive(repo: Path, plan: Plan) -> None:
    """Move every planned script and record it; if recording fails, every move is undone."""
    manifest = Manifest(manifest_path(repo))
    run_all(plan.moves)
    try:
        manifest.entries.extend(plan.entries)
        manifest.save()
    except BaseException:
        for move in reversed(plan.moves):
            move.undo()
        raise


def plan_restore(repo: Path, name: str) -> tuple[Entry, Move]:
    entry = Manifest(manifest_path(repo)).find(name)
    archived = repo / entry.archived_path
    if not archived.is_file():
        raise ArchiveError(f"{entry.archived_path} is listed in the manifest but missing")
    if sha256_file(archived) != entry.sha256:
        raise ArchiveError(
            f"{entry.archived_path} no longer matches the sha256 recorded when it was archived"
        )
    destination = repo / entry.original_path
    if destination.exists():
        raise ArchiveError(f"{entry.original_path} exists again; move it away before restoring")
    return entry, Move(repo.absolute(), archived.absolute(), destination.absolute(), entry.sha256)


def apply_restore(repo: Path, entry: Entry, move: Move) -> None:
    manifest = Manifest(manifest_path(repo))
    move.run()
    try:
        manifest.entries = [kept for kept in manifest.entries if kept.name != entry.name]
        manifest.save()
    except BaseException:
        move.undo()
        raise


def check(repo: Path) -> list[str]:
    """Problems with the archive: listed files missing or changed, archived files the manifest lacks."""
    manifest = Manifest(manifest_path(repo))
    problems = []
    for entry in manifest.entries:
        path = repo / entry.archived_path
        if not path.is_file():
            problems.append(f"{entry.archived_path}: listed but missing")
        elif sha256_file(path) != entry.sha256:
            problems.append(f"{entry.archived_path}: sha256 differs from the manifest")
    listed = {entry.archived_path for entry in manifest.entries}
    archive = repo / ARCHIVE_DIR
    for path in sorted(archive.rglob("*")) if archive.is_dir() else []:
        relative = path.relative_to(repo).as_posix()
        if path.is_file() and path.parent != archive and relative not in listed:
            problems.append(f"{relative}: in archive/ but not in the manifest")
    return problems
