"""Who still uses a script: its file name in docs, configs and other scripts, and imports of it as a
module. Archived files and the scripts being archived together do not count."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from tools.script_audit.inventory import IGNORED_FOLDERS

# Bigger files are data or generated output, not something that refers to a script by hand.
MAX_SCANNED_BYTES = 2_000_000


@dataclass(frozen=True)
class Reference:
    path: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.text}"


def reference_patterns(script: str) -> list[re.Pattern[str]]:
    """Patterns that mean "uses `script`" (a repository-relative path)."""
    path = PurePosixPath(script)
    stem = re.escape(path.stem)
    patterns = [re.compile(rf"(?<![\w.\-]){re.escape(path.name)}(?![\w\-])")]
    if path.suffix == ".py":
        patterns += [
            re.compile(rf"^\s*import\s+(?:[\w.]+\.)?{stem}\b", re.MULTILINE),
            re.compile(rf"^\s*from\s+(?:[\w.]+\.)?{stem}\s+import\b", re.MULTILINE),
            re.compile(rf"^\s*from\s+[\w.]+\s+import\s+(?:[^\n#]*,\s*)?{stem}\b", re.MULTILINE),
        ]
    elif path.suffix in (".js", ".mjs", ".ts"):
        patterns.append(re.compile(rf"""['"](?:\.{{1,2}}/|[^'"]*/){stem}(?:\.m?js|\.ts)?['"]"""))
    return patterns


def candidate_files(repo: Path) -> list[str]:
    """Repository files that may reference a script: git's tracked and unignored files, or a walk."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=repo, capture_output=True, check=False,
    )  # fmt: skip
    if listed.returncode == 0:
        return sorted({name for name in listed.stdout.decode("utf-8", "replace").split("\0") if name})
    found: list[str] = []
    for folder, subfolders, files in os.walk(repo):
        subfolders[:] = [name for name in subfolders if name not in IGNORED_FOLDERS]
        found.extend((Path(folder) / name).relative_to(repo).as_posix() for name in files)
    return sorted(found)


def _readable_text(path: Path) -> str | None:
    try:
        if path.stat().st_size > MAX_SCANNED_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return None if b"\0" in data[:8192] else data.decode("utf-8", "replace")


def find_references(
    repo: Path, scripts: list[str], archive_dir: str = "archive"
) -> dict[str, list[Reference]]:
    """For each script (repository-relative), the lines outside archive/ and outside `scripts` that use it."""
    patterns = {script: reference_patterns(script) for script in scripts}
    found: dict[str, list[Reference]] = {script: [] for script in scripts}
    excluded = set(scripts)
    for relative in candidate_files(repo):
        if relative in excluded or PurePosixPath(relative).parts[:1] == (archive_dir,):
            continue
        text = _readable_text(repo / relative)
        if text is None:
            continue
        for script, script_patterns in patterns.items():
            found[script].extend(_matches(relative, text, script_patterns))
    return found


def _matches(relative: str, text: str, patterns: list[re.Pattern[str]]) -> list[Reference]:
    lines = sorted({text.count("\n", 0, match.start()) + 1 for p in patterns for match in p.finditer(text)})
    all_lines = text.splitlines()
    return [Reference(relative, number, all_lines[number - 1].strip()[:160]) for number in lines]
