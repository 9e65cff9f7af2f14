from pathlib import Path

import pytest

from voxrank.serving.diarization import RttmError, Turn, read_rttm, read_uem, write_rttm, write_uem


def test_rttm_round_trip(tmp_path: Path) -> None:
    turns = {"a": [Turn(1.5, 3.25, "alice"), Turn(0.0, 1.0, "bob")], "b": [Turn(2.0, 2.5, "carol")]}
    write_rttm(turns, tmp_path / "x.rttm")
    assert read_rttm(tmp_path / "x.rttm") == {uri: sorted(value) for uri, value in turns.items()}


def test_uem_round_trip(tmp_path: Path) -> None:
    regions = {"a": [(0.0, 30.0)], "b": [(1.0, 2.0), (5.0, 9.5)]}
    write_uem(regions, tmp_path / "x.uem")
    assert read_uem(tmp_path / "x.uem") == regions


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.rttm", "SPEAKER a 1 zero 1.0 <NA> <NA> s <NA> <NA>\n", "bad.rttm:1: 'zero' is not a number"),
        ("short.rttm", "SPEAKER a 1 0.0 1.0\n", "at least 8 fields"),
        ("neg.rttm", "SPEAKER a 1 0.0 -1.0 <NA> <NA> s <NA> <NA>\n", "negative"),
        ("bad.uem", "a NA 3.0\n", "expected 4 fields"),
        ("empty.uem", "a NA 3.0 3.0\n", "empty or negative"),
    ],
)
def test_malformed_files_name_the_line(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    reader = read_rttm if name.endswith(".rttm") else read_uem
    with pytest.raises(RttmError, match=message):
        reader(path)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RttmError, match="no such file"):
        read_rttm(tmp_path / "absent.rttm")
