"""The audit itself: read, fingerprint, find duplicates, classify and recommend, with progress."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tools.script_audit.classify import PURPOSES, UNKNOWN, classify
from tools.script_audit.duplicates import Duplicates, Fingerprints, find_duplicates, fingerprints
from tools.script_audit.inventory import LANGUAGES, Script, Skipped, find_scripts, read_script
from tools.script_audit.recommend import recommend

DEFAULT_THRESHOLD = 0.8


@dataclass(frozen=True)
class ScriptEntry:
    path: str
    language: str
    bytes: int
    lines: int
    sha256: str
    purpose: str
    purpose_score: float
    evidence: tuple[str, ...]
    action: str
    target: str | None
    reason: str


@dataclass
class AuditResult:
    root: str
    threshold: float
    scripts: list[ScriptEntry]
    skipped: list[Skipped]
    duplicates: Duplicates
    generated: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def to_dict(self) -> dict:
        languages = sorted(set(LANGUAGES.values()))
        return {
            "root": self.root,
            "generated": self.generated,
            "threshold": self.threshold,
            "summary": {
                "scripts": len(self.scripts),
                "skipped": len(self.skipped),
                "by_language": _counts((entry.language for entry in self.scripts), languages),
                "by_purpose": _counts((entry.purpose for entry in self.scripts), [*PURPOSES, UNKNOWN]),
                "by_action": _counts((entry.action for entry in self.scripts), ["keep", "merge", "archive"]),
                "exact_groups": len(self.duplicates.exact_groups),
                "normalised_groups": len(self.duplicates.normalised_groups),
                "near_pairs": len(self.duplicates.near_pairs),
            },
            "families": self.families(),
            "exact_groups": self.duplicates.exact_groups,
            "normalised_groups": self.duplicates.normalised_groups,
            "near_duplicates": [asdict(pair) for pair in self.duplicates.near_pairs],
            "scripts": [asdict(entry) for entry in self.scripts],
            "skipped": [asdict(item) for item in self.skipped],
        }

    def families(self) -> list[dict]:
        """Each family of duplicates: the copy to keep, and what to archive or merge into it."""
        members: dict[str, dict[str, list[str]]] = {}
        for entry in self.scripts:
            if entry.target:
                family = members.setdefault(entry.target, {"archive": [], "merge": []})
                family[entry.action].append(entry.path)
        return [{"keep": keep, **family} for keep, family in sorted(members.items())]


def _counts(values: object, order: list[str]) -> dict[str, int]:
    counted = Counter(values)  # type: ignore[call-overload]
    return {key: counted.get(key, 0) for key in order}


def _progress(console: Console, quiet: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=console,
        disable=quiet,
        transient=True,
    )


def run_audit(root: Path, threshold: float = DEFAULT_THRESHOLD, quiet: bool = False) -> AuditResult:
    """Audit every script under `root`; raises AuditInputError when `root` is not a folder."""
    console = Console(stderr=True)
    paths = find_scripts(root)
    prints: list[Fingerprints] = []
    skipped: list[Skipped] = []
    with _progress(console, quiet) as progress:
        task = progress.add_task("reading scripts", total=len(paths), current="")
        for path in paths:
            progress.update(task, current=path.name)
            outcome = read_script(path, root)
            if isinstance(outcome, Script):
                prints.append(fingerprints(outcome))
            else:
                skipped.append(outcome)
            progress.advance(task)
        similarity = progress.add_task("comparing shingles", total=None, current=f"threshold {threshold}")
        duplicates = find_duplicates(prints, threshold)
        progress.update(similarity, total=1, completed=1)
    recommendations = recommend([item.script.path for item in prints], duplicates)
    entries = []
    for item in prints:
        purpose = classify(item.script)
        advice = recommendations[item.script.path]
        entries.append(
            ScriptEntry(
                item.script.path,
                item.script.language,
                len(item.script.data),
                item.script.lines,
                item.script.sha256,
                purpose.purpose,
                purpose.score,
                purpose.evidence,
                advice.action,
                advice.target,
                advice.reason,
            )
        )
    return AuditResult(root.resolve().name, threshold, entries, skipped, duplicates)
