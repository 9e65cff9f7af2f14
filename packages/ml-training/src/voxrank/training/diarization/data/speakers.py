"""Single-speaker utterances grouped by speaker: the raw material of simulated conversations."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voxrank.serving.audio import AudioError, load_audio
from voxrank.training.diarization.data.espeak import synthetic_utterances, synthetic_voices

AUDIO_SUFFIXES = (".wav", ".flac", ".ogg")


class SpeakerSourceError(ValueError):
    """A folder of per-speaker files that cannot be used."""


@dataclass
class SpeakerUtterances:
    """Utterances (16 kHz float32) per speaker name; names are unique across sources."""

    utterances: dict[str, list[np.ndarray]] = field(default_factory=dict)

    @property
    def speakers(self) -> list[str]:
        return sorted(self.utterances)

    def merge(self, other: SpeakerUtterances) -> SpeakerUtterances:
        clash = set(self.utterances) & set(other.utterances)
        if clash:
            raise SpeakerSourceError(f"speaker names appear in two sources: {sorted(clash)[:5]}")
        return SpeakerUtterances({**self.utterances, **other.utterances})


def load_speaker_folder(root: Path, prefix: str = "") -> SpeakerUtterances:
    """Read `speakers.csv` (columns `file`, `speaker_id`) if present, else `<root>/<speaker>/<audio>`."""
    if not root.is_dir():
        raise SpeakerSourceError(f"{root}: no such folder of per-speaker audio")
    listing = root / "speakers.csv"
    pairs = _pairs_from_csv(listing) if listing.is_file() else _pairs_from_folders(root)
    if not pairs:
        raise SpeakerSourceError(f"{root}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found")
    grouped: dict[str, list[np.ndarray]] = {}
    for relative, speaker in pairs:
        try:
            samples = load_audio(root / relative)
        except AudioError as error:
            raise SpeakerSourceError(f"{root / relative}: {error}") from error
        if not np.any(samples):
            raise SpeakerSourceError(f"{root / relative}: audio is silent")
        grouped.setdefault(f"{prefix}{speaker}", []).append(samples)
    return SpeakerUtterances(grouped)


def synthetic_speakers(
    count: int, utterances_per_speaker: int, cache_dir: Path | None, seed: int = 0
) -> SpeakerUtterances:
    """`count` eSpeak NG speakers; generated once, then read from `cache_dir`."""
    voices = synthetic_voices(count, seed)
    return SpeakerUtterances(
        {voice.name: synthetic_utterances(voice, utterances_per_speaker, cache_dir, seed) for voice in voices}
    )


def _pairs_from_csv(listing: Path) -> list[tuple[str, str]]:
    with listing.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"file", "speaker_id"} - set(reader.fieldnames or [])
        if missing:
            raise SpeakerSourceError(f"{listing}: missing columns {sorted(missing)}")
        return [(row["file"], row["speaker_id"]) for row in reader]


def _pairs_from_folders(root: Path) -> list[tuple[str, str]]:
    return [
        (str(path.relative_to(root)), path.parent.name)
        for path in sorted(root.glob("*/*"))
        if path.suffix.lower() in AUDIO_SUFFIXES
    ]
