"""`archive/MANIFEST.toml`: one `[[script]]` table per archived script, read and written with tomlkit
so that comments and layout survive, and written atomically so a crash never leaves half a file."""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError

MANIFEST_HEADER = """\
Every script in archive/, where it came from and why it was archived. Maintained by
`nox -s archive` (tools/archive_legacy); do not edit by hand. Restore one with
`nox -s archive -- --restore NAME --apply`.
"""
FORMAT = 1


class ManifestError(Exception):
    """The manifest cannot be read, or names a script it does not hold."""


@dataclass
class Entry:
    name: str
    """Path inside archive/, e.g. `ml-training/legacy/train_old.py`; what `--restore` takes."""
    original_path: str
    sha256: str
    reason: str
    replaced_by: str
    date: datetime.date
    source: str = "repository"
    """"repository" (moved from this repository) or "external" (copied from a legacy checkout)."""
    origin: str = ""
    origin_commit: str = ""
    forced: bool = False
    references: list[str] = field(default_factory=list)

    @property
    def archived_path(self) -> str:
        return f"archive/{self.name}"

    def to_table(self) -> tomlkit.items.Table:
        table = tomlkit.table()
        table["name"] = self.name
        table["original_path"] = self.original_path
        table["archived_path"] = self.archived_path
        table["sha256"] = self.sha256
        table["reason"] = self.reason
        table["replaced_by"] = self.replaced_by
        table["date"] = self.date
        table["source"] = self.source
        if self.source == "external":
            table["origin"] = self.origin
            table["origin_commit"] = self.origin_commit
        if self.forced:
            table["forced"] = True
            table["references"] = self.references
        return table

    @classmethod
    def from_table(cls, table: dict) -> Entry:
        try:
            return cls(
                name=str(table["name"]),
                original_path=str(table["original_path"]),
                sha256=str(table["sha256"]),
                reason=str(table["reason"]),
                replaced_by=str(table.get("replaced_by", "")),
                date=table["date"],
                source=str(table.get("source", "repository")),
                origin=str(table.get("origin", "")),
                origin_commit=str(table.get("origin_commit", "")),
                forced=bool(table.get("forced", False)),
                references=[str(item) for item in table.get("references", [])],
            )
        except KeyError as error:
            raise ManifestError(f"a [[script]] entry lacks {error.args[0]!r}: {dict(table)}") from error


def empty_document() -> tomlkit.TOMLDocument:
    document = tomlkit.document()
    for line in MANIFEST_HEADER.splitlines():
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    document["format"] = FORMAT
    return document


class Manifest:
    def __init__(self, path: Path) -> None:
        self.path = path
        if path.exists():
            try:
                self.document = tomlkit.parse(path.read_text(encoding="utf-8"))
            except (ParseError, UnicodeDecodeError) as error:
                raise ManifestError(f"{path}: not valid TOML: {error}") from error
        else:
            self.document = empty_document()
        self.entries = [Entry.from_table(table) for table in self.document.get("script", [])]

    def find(self, name: str) -> Entry:
        """By archive name, original path, or file name when only one entry has it."""
        exact = [
            entry for entry in self.entries if name in (entry.name, entry.original_path, entry.archived_path)
        ]
        matches = exact or [entry for entry in self.entries if Path(entry.name).name == name]
        if not matches:
            raise ManifestError(f"{name!r} is not in {self.path.name}; `--list` shows what is archived")
        if len(matches) > 1:
            names = ", ".join(entry.name for entry in matches)
            raise ManifestError(f"{name!r} is ambiguous ({names}); give the full name")
        return matches[0]

    def save(self) -> None:
        """Write every entry back, replacing the file atomically."""
        if "script" in self.document:
            del self.document["script"]
        if self.entries:
            scripts = tomlkit.aot()
            for entry in sorted(self.entries, key=lambda entry: entry.name):
                scripts.append(entry.to_table())
            self.document["script"] = scripts
        temporary = self.path.with_name(f".{self.path.name}.writing")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("w", encoding="utf-8") as handle:
            # tomlkit leaves the blank line that preceded removed tables; one final newline keeps it stable.
            handle.write(tomlkit.dumps(self.document).rstrip("\n") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self.path)
