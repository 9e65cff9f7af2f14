"""Moving one file without ever losing it: `git mv` when git tracks it, otherwise copy, verify the
sha256, then remove the source. Every completed move can be undone, so a batch rolls back as a whole."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class MoveError(Exception):
    """A move that could not be completed; the source is still where it was."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_tracked(repo: Path, relative: str) -> bool:
    result = subprocess.run(
        ["git", "ls-files", "--error-unmatch", "--", relative], cwd=repo, capture_output=True, check=False
    )
    return result.returncode == 0


def _git_mv(repo: Path, source: str, destination: str) -> None:
    result = subprocess.run(
        ["git", "mv", "--", source, destination], cwd=repo, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise MoveError(f"git mv {source} {destination} failed: {result.stderr.strip()}")


def _copy_verified(source: Path, destination: Path, expected: str) -> None:
    """Copy into a temporary name beside `destination`, check its sha256, then rename into place."""
    temporary = destination.with_name(f".{destination.name}.archiving")
    try:
        shutil.copy2(source, temporary)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        if sha256_file(temporary) != expected:
            raise MoveError(f"copy of {source} does not match its sha256; nothing was moved")
        temporary.replace(destination)
    finally:
        temporary.unlink(missing_ok=True)


@dataclass
class Move:
    """One planned move inside `repo`, or a copy in from outside it (`keep_source`)."""

    repo: Path
    source: Path
    destination: Path
    sha256: str
    keep_source: bool = False
    used_git: bool = False
    done: bool = False

    def _relative(self, path: Path) -> str:
        return path.relative_to(self.repo).as_posix()

    def run(self) -> None:
        if self.destination.exists():
            raise MoveError(f"{self.destination} already exists; refusing to overwrite it")
        if sha256_file(self.source) != self.sha256:
            raise MoveError(f"{self.source} changed since it was checked; run again")
        self.destination.parent.mkdir(parents=True, exist_ok=True)
        if not self.keep_source and is_tracked(self.repo, self._relative(self.source)):
            _git_mv(self.repo, self._relative(self.source), self._relative(self.destination))
            self.used_git = True
        else:
            _copy_verified(self.source, self.destination, self.sha256)
        self.done = True
        if sha256_file(self.destination) != self.sha256:
            self.undo()
            raise MoveError(f"{self.destination} does not match the sha256 of {self.source}; move undone")
        if not self.keep_source and not self.used_git:
            self.source.unlink()

    def undo(self) -> None:
        """Put the file back where it was (a copy from outside is simply withdrawn)."""
        if not self.done:
            return
        if self.used_git:
            _git_mv(self.repo, self._relative(self.destination), self._relative(self.source))
        elif self.keep_source:
            self.destination.unlink()
        else:
            if not self.source.exists():
                _copy_verified(self.destination, self.source, self.sha256)
            self.destination.unlink()
        self.done = False


def run_all(moves: list[Move]) -> None:
    """Run every move, or none: on the first failure the completed ones are undone, newest first."""
    completed: list[Move] = []
    try:
        for move in moves:
            move.run()
            completed.append(move)
    except BaseException:
        for move in reversed(completed):
            move.undo()
        raise
