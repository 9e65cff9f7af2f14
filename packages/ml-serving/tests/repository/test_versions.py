from __future__ import annotations

import pytest
from packaging.version import Version

from voxrank.serving.repository import InvalidVersionSpecError, parse_version, select_version

AVAILABLE = [Version(v) for v in ["0.9.0", "1.0.0", "1.2.0", "1.2.5", "1.10.1", "2.0.0", "2.1.0"]]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("latest", "2.1.0"),
        ("", "2.1.0"),
        ("1.2.0", "1.2.0"),
        ("1", "1.10.1"),
        ("1.2", "1.2.5"),
        (">=1.2,<2", "1.10.1"),
        ("<1", "0.9.0"),
        ("~=1.2", "1.10.1"),
        ("~=1.2.0", "1.2.5"),
        ("!=2.1.0,>=2", "2.0.0"),
    ],
)
def test_select_version_picks_the_highest_admitted(spec: str, expected: str) -> None:
    assert select_version(AVAILABLE, spec) == Version(expected)


@pytest.mark.parametrize("spec", ["1.3.0", ">=3", "3", "1.3"])
def test_select_version_without_a_match_gives_none(spec: str) -> None:
    assert select_version(AVAILABLE, spec) is None


def test_ordering_is_numeric_not_lexical() -> None:
    assert select_version([Version("1.9.0"), Version("1.10.0")], "latest") == Version("1.10.0")


@pytest.mark.parametrize("spec", ["newest", ">>1", "1.2.3.4.x", "=1.2"])
def test_unparseable_requests_raise_a_clear_error(spec: str) -> None:
    with pytest.raises(InvalidVersionSpecError, match="not a model version request"):
        select_version(AVAILABLE, spec)


@pytest.mark.parametrize("text", ["1.2", "1.2.3rc1", "v1.2.3", "01.2.3", "1.2.3+local"])
def test_model_versions_are_exactly_major_minor_patch(text: str) -> None:
    with pytest.raises(InvalidVersionSpecError, match=r"MAJOR\.MINOR\.PATCH"):
        parse_version(text)
    assert parse_version("1.2.3") == Version("1.2.3")
