"""What to do with each script: keep the canonical copy of each family, archive exact copies, merge near
copies into the canonical one, archive what its own name marks as a leftover."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from tools.script_audit.duplicates import Duplicates, NearPair

KEEP, MERGE, ARCHIVE = "keep", "merge", "archive"

# Words people give to copies they meant to delete: old/, _backup, copy, (1), tmp...
_LEFTOVER = re.compile(
    r"(?:^|[/_.\-\s])(?:old|backup|bak|copy|tmp|deprecated|unused|orig)(?:$|[/_.\-\s\d])|\(\d+\)",
    re.IGNORECASE,
)
# A version suffix (train_v2) marks the later copy, which is not necessarily a leftover.
_VERSION_SUFFIX = re.compile(r"[_\-]v\d+$", re.IGNORECASE)


@dataclass(frozen=True)
class Recommendation:
    action: str
    target: str | None
    reason: str

    def describe(self) -> str:
        return f"merge into {self.target}" if self.action == MERGE else self.action


def leftover_markers(path: str) -> int:
    """How many copy/backup markers the path carries (folders included)."""
    return len(_LEFTOVER.findall(PurePosixPath(path).with_suffix("").as_posix()))


def _name_marks_leftover(path: str) -> bool:
    return bool(_LEFTOVER.search(PurePosixPath(path).stem))


def _canonical_order(path: str, copies: int) -> tuple[int, int, int, int, str]:
    # Fewest leftover markers, then the code copied most often (what people actually used), then the
    # shallowest and shortest name.
    parts = PurePosixPath(path).parts
    markers = leftover_markers(path) + bool(_VERSION_SUFFIX.search(PurePosixPath(path).stem))
    return (markers, -copies, len(parts), len(parts[-1]), path)


class _Families:
    """Union-find over script paths: a family is everything linked by any kind of duplication."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, path: str) -> str:
        self.parent.setdefault(path, path)
        while self.parent[path] != path:
            self.parent[path] = self.parent[self.parent[path]]
            path = self.parent[path]
        return path

    def union(self, first: str, second: str) -> None:
        self.parent[self.find(first)] = self.find(second)

    def groups(self, copies: dict[str, int]) -> list[list[str]]:
        """Each family, its canonical member first."""
        members: dict[str, list[str]] = {}
        for path in self.parent:
            members.setdefault(self.find(path), []).append(path)
        return [
            sorted(group, key=lambda path: _canonical_order(path, copies.get(path, 1)))
            for group in members.values()
        ]


def recommend(paths: list[str], duplicates: Duplicates) -> dict[str, Recommendation]:
    """One recommendation per path; families of duplicates keep exactly one member."""
    families = _Families()
    same_code: dict[str, str] = {}
    copies: dict[str, int] = {}
    # Normalised groups first: they contain the byte-identical groups of the same code.
    for group in [*duplicates.normalised_groups, *duplicates.exact_groups]:
        for path in group[1:]:
            families.union(group[0], path)
        for path in group:
            same_code.setdefault(path, group[0])
            copies[path] = max(copies.get(path, 1), len(group))
    for pair in duplicates.near_pairs:
        families.union(pair.first, pair.second)
    result: dict[str, Recommendation] = {}
    for family in families.groups(copies):
        canonical = family[0]
        result[canonical] = Recommendation(KEEP, None, f"canonical copy of a family of {len(family)}")
        for path in family[1:]:
            if _same_code(path, canonical, same_code):
                result[path] = Recommendation(ARCHIVE, canonical, f"same code as {canonical}")
            else:
                result[path] = Recommendation(
                    MERGE, canonical, _merge_reason(path, canonical, same_code, duplicates.near_pairs)
                )
    for path in paths:
        if path not in result:
            result[path] = (
                Recommendation(ARCHIVE, None, "its name marks it as a backup or leftover copy")
                if _name_marks_leftover(path)
                else Recommendation(KEEP, None, "no duplicate found")
            )
    return result


def _same_code(path: str, canonical: str, same_code: dict[str, str]) -> bool:
    return path in same_code and same_code.get(canonical) == same_code[path]


def _merge_reason(path: str, canonical: str, same_code: dict[str, str], pairs: list[NearPair]) -> str:
    """The pair linking `path` to the canonical copy's code if there is one, else its closest pair."""
    mine = [pair for pair in pairs if path in (pair.first, pair.second)]
    if not mine:
        return "same code as a near duplicate of the canonical copy"

    def is_canonical_code(pair: NearPair) -> bool:
        other = pair.second if pair.first == path else pair.first
        return other == canonical or _same_code(other, canonical, same_code)

    pair = next((pair for pair in mine if is_canonical_code(pair)), mine[0])
    other = pair.second if pair.first == path else pair.first
    return f"{pair.kind}: {other} (similarity {pair.score:.2f})"
