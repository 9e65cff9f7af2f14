"""Exact duplicate groups (same bytes; same code after normalising whitespace and comments) and near
duplicates (Jaccard similarity of token shingles, with identifiers abstracted for renamed copies)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import PurePosixPath

from tools.script_audit.inventory import Script
from tools.script_audit.tokens import fingerprint, shingles, structure, tokens

# Below this many tokens a script is too small for similarity to mean anything (`main()` wrappers).
MIN_TOKENS = 25
# Empty `__init__.py` files and one-line version files are identical by design, not copies.
MIN_COPY_TOKENS = 10
# Abstracted identifiers make unrelated code look alike, so renamed copies must clear a higher bar.
RENAMED_FLOOR = 0.9
# A shingle found in more scripts than this is boilerplate (license headers, argparse set-up).
COMMON_SHINGLE_FILES = 50


@dataclass
class Fingerprints:
    """What the duplicate search needs of one script."""

    script: Script
    code: list[str]
    normalised: str
    shingles: frozenset[int]
    structure_shingles: frozenset[int]


@dataclass(frozen=True)
class NearPair:
    first: str
    second: str
    score: float
    kind: str
    """"similar code" or "renamed identifiers"."""


@dataclass
class Duplicates:
    exact_groups: list[list[str]] = field(default_factory=list)
    normalised_groups: list[list[str]] = field(default_factory=list)
    near_pairs: list[NearPair] = field(default_factory=list)


def fingerprints(script: Script) -> Fingerprints:
    code = tokens(script.text, script.language)
    return Fingerprints(
        script, code, fingerprint(code), shingles(code), shingles(structure(code, script.language))
    )


def _groups(items: Iterable[tuple[str, str]]) -> list[list[str]]:
    by_key: dict[str, list[str]] = defaultdict(list)
    for key, path in items:
        by_key[key].append(path)
    return sorted(sorted(paths) for paths in by_key.values() if len(paths) > 1)


def _substantial(prints: list[Fingerprints]) -> list[Fingerprints]:
    return [item for item in prints if len(item.code) >= MIN_COPY_TOKENS]


def exact_groups(prints: list[Fingerprints]) -> list[list[str]]:
    """Scripts with the same bytes."""
    return _groups((item.script.sha256, item.script.path) for item in _substantial(prints))


def normalised_groups(prints: list[Fingerprints]) -> list[list[str]]:
    """Scripts with the same code once whitespace and comments are ignored, but not all the same bytes."""
    groups = _groups(
        (f"{item.script.language}:{item.normalised}", item.script.path) for item in _substantial(prints)
    )
    sha_by_path = {item.script.path: item.script.sha256 for item in prints}
    return [group for group in groups if len({sha_by_path[path] for path in group}) > 1]


def jaccard(first: frozenset[int], second: frozenset[int]) -> float:
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def _candidates(sets: list[frozenset[int]], threshold: float) -> set[tuple[int, int]]:
    """Index pairs sharing enough uncommon shingles that their similarity can reach `threshold`."""
    postings: dict[int, list[int]] = defaultdict(list)
    for index, items in enumerate(sets):
        for shingle in items:
            postings[shingle].append(index)
    shared: Counter[tuple[int, int]] = Counter()
    for holders in postings.values():
        if 1 < len(holders) <= COMMON_SHINGLE_FILES:
            shared.update(combinations(holders, 2))
    pairs = set()
    for (first, second), count in shared.items():
        smaller, larger = sorted((len(sets[first]), len(sets[second])))
        # Jaccard can never exceed smaller/larger; the shared count is a cheap lower bound on the overlap.
        if smaller / larger >= threshold and count >= threshold * smaller / 2:
            pairs.add((first, second))
    return pairs


def near_pairs(prints: list[Fingerprints], threshold: float) -> list[NearPair]:
    """Pairs of distinct code (one representative per normalised group) at or above `threshold`."""
    representatives: dict[str, Fingerprints] = {}
    # The shallowest path stands for its group: usually the original rather than a copy in old/.
    for item in sorted(
        prints, key=lambda item: (len(PurePosixPath(item.script.path).parts), item.script.path)
    ):
        if len(item.code) >= MIN_TOKENS:
            representatives.setdefault(f"{item.script.language}:{item.normalised}", item)
    chosen = list(representatives.values())
    renamed_threshold = max(threshold, RENAMED_FLOOR)
    candidates = _candidates([item.shingles for item in chosen], threshold)
    candidates |= _candidates([item.structure_shingles for item in chosen], renamed_threshold)
    pairs = []
    for first, second in sorted(candidates):
        a, b = chosen[first], chosen[second]
        if a.script.language != b.script.language:
            continue
        score = jaccard(a.shingles, b.shingles)
        renamed = jaccard(a.structure_shingles, b.structure_shingles)
        if score >= threshold:
            pairs.append(NearPair(a.script.path, b.script.path, round(score, 3), "similar code"))
        elif renamed >= renamed_threshold:
            pairs.append(NearPair(a.script.path, b.script.path, round(renamed, 3), "renamed identifiers"))
    return sorted(pairs, key=lambda pair: (-pair.score, pair.first, pair.second))


def find_duplicates(prints: list[Fingerprints], threshold: float) -> Duplicates:
    return Duplicates(exact_groups(prints), normalised_groups(prints), near_pairs(prints, threshold))
