"""Semantic versions of models and how a request ("latest", "1.2.3", ">=1.2,<2", "1", "1.2") picks one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from voxrank.serving.repository.errors import InvalidVersionSpecError
from voxrank.serving.repository.manifest import SEMVER_PATTERN

LATEST = "latest"
_PARTIAL_VERSION = re.compile(r"^(0|[1-9]\d*)(\.(0|[1-9]\d*))?$")


def parse_version(text: str) -> Version:
    """A model version: exactly MAJOR.MINOR.PATCH, no pre-release or local part."""
    if not re.match(SEMVER_PATTERN, text):
        raise InvalidVersionSpecError(
            f"model version '{text}' is not of the form MAJOR.MINOR.PATCH (e.g. 1.2.0)"
        )
    return Version(text)


def to_specifier(spec: str) -> SpecifierSet | None:
    """The specifier a request means; None for "latest". "1" and "1.2" pin a major or a minor series."""
    spec = spec.strip()
    if spec in ("", LATEST):
        return None
    if re.match(SEMVER_PATTERN, spec):
        return SpecifierSet(f"=={spec}")
    if _PARTIAL_VERSION.match(spec):
        return SpecifierSet(f"=={spec}.*")
    try:
        return SpecifierSet(spec)
    except InvalidSpecifier as error:
        raise InvalidVersionSpecError(
            f"'{spec}' is not a model version request: use 'latest', '1.2.3', '1', '1.2' "
            "or a range like '>=1.2,<2'"
        ) from error


def select_version(available: Iterable[Version], spec: str) -> Version | None:
    """The highest of `available` that `spec` admits, or None."""
    specifier = to_specifier(spec)
    candidates = list(available) if specifier is None else list(specifier.filter(available))
    return max(candidates, default=None)
