"""Diarization corpora in the standard layout: audio + RTTM + UEM + file lists (AMI, VoxConverse, DIHARD).

`<root>/<split>.lst` lists uris; `<root>/<split>.rttm` holds their turns; `<root>/<split>.uem` (optional)
their scored regions; audio is `<root>/<uri>.wav|.flac` (or under `<root>/audio/`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voxrank.serving.audio import SAMPLE_RATE, AudioError, load_audio, probe
from voxrank.serving.diarization import RttmError, Turn, read_rttm, read_uem

AUDIO_SUFFIXES = (".wav", ".flac")
# RTTM turns may overrun the audio by rounding; more than this means the files do not belong together.
END_TOLERANCE_S = 0.05


class CorpusError(ValueError):
    """A corpus whose files are missing, unreadable or do not match each other."""


@dataclass(frozen=True)
class Recording:
    uri: str
    audio_path: Path
    turns: list[Turn]
    uem: list[tuple[float, float]]
    duration: float

    def load(self) -> np.ndarray:
        samples = load_audio(self.audio_path)
        if self.turns and not np.any(samples):
            raise CorpusError(f"{self.audio_path}: audio is silent but its RTTM has {len(self.turns)} turns")
        return samples

    @property
    def speakers(self) -> list[str]:
        return sorted({turn.speaker for turn in self.turns})


def load_corpus(root: Path, split: str) -> list[Recording]:
    """Every recording of `split`, with its turns and scored regions, checked for consistency."""
    listing = root / f"{split}.lst"
    if not listing.is_file():
        raise CorpusError(f"{listing}: no file list for split {split!r}")
    uris = [line.strip() for line in listing.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not uris:
        raise CorpusError(f"{listing}: lists no recordings")
    try:
        turns = read_rttm(root / f"{split}.rttm")
        uem = read_uem(root / f"{split}.uem") if (root / f"{split}.uem").is_file() else {}
    except RttmError as error:
        raise CorpusError(str(error)) from error
    strangers = sorted(set(turns) - set(uris))
    if strangers:
        raise CorpusError(f"{split}.rttm has turns for uris not in {listing.name}: {strangers[:5]}")
    return [_recording(root, uri, turns.get(uri, []), uem.get(uri)) for uri in uris]


def _recording(root: Path, uri: str, turns: list[Turn], uem: list[tuple[float, float]] | None) -> Recording:
    audio = _find_audio(root, uri)
    try:
        info = probe(audio)
    except AudioError as error:
        raise CorpusError(f"{audio}: {error}") from error
    if info.sample_rate != SAMPLE_RATE:
        raise CorpusError(f"{audio}: sample rate {info.sample_rate} Hz, expected {SAMPLE_RATE} Hz")
    if info.frames == 0:
        raise CorpusError(f"{audio}: audio is empty")
    duration = info.duration_s
    last = max((turn.end for turn in turns), default=0.0)
    if last > duration + END_TOLERANCE_S:
        raise CorpusError(f"{uri}: RTTM turns end at {last:.3f} s but the audio lasts {duration:.3f} s")
    return Recording(uri, audio, turns, uem or [(0.0, duration)], duration)


def _find_audio(root: Path, uri: str) -> Path:
    for folder in (root, root / "audio"):
        for suffix in AUDIO_SUFFIXES:
            if (folder / f"{uri}{suffix}").is_file():
                return folder / f"{uri}{suffix}"
    raise CorpusError(f"{root}: no audio file for uri {uri!r} ({'/'.join(AUDIO_SUFFIXES)})")
