"""RTTM (speaker turns) and UEM (scored regions) files, as NIST md-eval and pyannote write them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from voxrank.serving.diarization.turns import Turn

RTTM_FIELDS = 10


class RttmError(ValueError):
    """A malformed RTTM or UEM file; the message names the file and line."""


def read_rttm(source: str | Path) -> dict[str, list[Turn]]:
    """Turns per uri (sorted), from `SPEAKER <uri> 1 <onset> <duration> <NA> <NA> <speaker> ...` lines."""
    turns: dict[str, list[Turn]] = {}
    for where, fields in _records(source):
        if fields[0] != "SPEAKER":
            continue
        if len(fields) < 8:
            raise RttmError(f"{where}: expected at least 8 fields, got {len(fields)}")
        onset, duration = _number(fields[3], where), _number(fields[4], where)
        if onset < 0 or duration < 0:
            raise RttmError(f"{where}: negative onset or duration")
        turns.setdefault(fields[1], []).append(Turn(onset, onset + duration, fields[7]))
    return {uri: sorted(uri_turns) for uri, uri_turns in turns.items()}


def format_rttm(turns_by_uri: Mapping[str, Sequence[Turn]]) -> str:
    lines = [
        f"SPEAKER {uri} 1 {turn.start:.3f} {turn.duration:.3f} <NA> <NA> {turn.speaker} <NA> <NA>\n"
        for uri, turns in turns_by_uri.items()
        for turn in sorted(turns)
    ]
    return "".join(lines)


def write_rttm(turns_by_uri: Mapping[str, Sequence[Turn]], path: str | Path) -> None:
    Path(path).write_text(format_rttm(turns_by_uri), encoding="utf-8")


def read_uem(source: str | Path) -> dict[str, list[tuple[float, float]]]:
    """Scored regions per uri, from `<uri> <channel> <start> <end>` lines."""
    regions: dict[str, list[tuple[float, float]]] = {}
    for where, fields in _records(source):
        if len(fields) != 4:
            raise RttmError(f"{where}: expected 4 fields '<uri> <channel> <start> <end>', got {len(fields)}")
        start, end = _number(fields[2], where), _number(fields[3], where)
        if not 0 <= start < end:
            raise RttmError(f"{where}: region {start}..{end} is empty or negative")
        regions.setdefault(fields[0], []).append((start, end))
    return regions


def write_uem(regions_by_uri: Mapping[str, Sequence[tuple[float, float]]], path: str | Path) -> None:
    lines = [
        f"{uri} NA {start:.3f} {end:.3f}\n"
        for uri, regions in regions_by_uri.items()
        for start, end in regions
    ]
    Path(path).write_text("".join(lines), encoding="utf-8")


def _records(source: str | Path) -> list[tuple[str, list[str]]]:
    path = Path(source)
    if not path.is_file():
        raise RttmError(f"{path}: no such file")
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        fields = line.split()
        if fields and not fields[0].startswith("#"):
            records.append((f"{path.name}:{number}", fields))
    return records


def _number(text: str, where: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RttmError(f"{where}: {text!r} is not a number") from None
