"""Finding and reading the scripts under a folder; what cannot be read is kept as a skipped entry."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

LANGUAGES = {".py": "python", ".js": "javascript", ".mjs": "javascript", ".ts": "typescript", ".sh": "shell"}

# Environments, caches and build output hold third-party copies, not the team's scripts.
IGNORED_FOLDERS = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", ".nox", ".tox", "node_modules", "__pycache__", ".mypy_cache",
     ".ruff_cache", ".pytest_cache", "site-packages", "dist", "build"}
)  # fmt: skip

_BINARY_PROBE = 8192


class AuditInputError(Exception):
    """The folder to audit does not exist or is not a folder."""


@dataclass(frozen=True)
class Script:
    path: str
    """Relative to the audited folder, with forward slashes."""
    language: str
    data: bytes
    text: str
    sha256: str

    @property
    def lines(self) -> int:
        return self.text.count("\n") + (0 if self.text.endswith("\n") or not self.text else 1)


@dataclass(frozen=True)
class Skipped:
    path: str
    language: str
    reason: str


def find_scripts(root: Path) -> list[Path]:
    """Every file with a script extension under `root`, sorted, outside ignored folders."""
    if not root.exists():
        raise AuditInputError(f"{root}: no such folder")
    if not root.is_dir():
        raise AuditInputError(f"{root}: not a folder (give the folder that holds the scripts)")
    found: list[Path] = []
    for folder, subfolders, files in os.walk(root, onerror=None):
        subfolders[:] = sorted(name for name in subfolders if name not in IGNORED_FOLDERS)
        found.extend(Path(folder) / name for name in files if Path(name).suffix.lower() in LANGUAGES)
    return sorted(found)


def _why_not_text(data: bytes) -> str | None:
    if b"\x00" in data[:_BINARY_PROBE]:
        return "binary file (contains NUL bytes)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        return f"not UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
    return None


def read_script(path: Path, root: Path) -> Script | Skipped:
    relative = path.relative_to(root).as_posix()
    language = LANGUAGES[path.suffix.lower()]
    try:
        data = path.read_bytes()
    except OSError as error:
        return Skipped(relative, language, f"unreadable: {error.strerror or error}")
    reason = _why_not_text(data)
    if reason:
        return Skipped(relative, language, reason)
    text = data.decode("utf-8").removeprefix("\ufeff")
    return Script(relative, language, data, text, hashlib.sha256(data).hexdigest())
