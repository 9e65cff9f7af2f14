"""Speaker turns: the pipeline's result, as JSON and RTTM."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class Turn:
    """One speaker speaking from `start` to `end` seconds."""

    start: float
    end: float
    speaker: str

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Diarization:
    """Who spoke when in one recording of `duration` seconds; turns sorted by start."""

    turns: list[Turn]
    duration: float
    speakers: list[str] = field(default_factory=list)

    def to_rttm(self, uri: str) -> str:
        from voxrank.serving.diarization.rttm import format_rttm

        return format_rttm({uri: self.turns})

    def to_json(self) -> dict[str, Any]:
        return {
            "duration": round(self.duration, 3),
            "speakers": list(self.speakers),
            "turns": [
                {"start": round(turn.start, 3), "end": round(turn.end, 3), "speaker": turn.speaker}
                for turn in self.turns
            ],
        }
