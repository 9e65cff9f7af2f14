"""Diarization error rate of the ml-serving pipeline, with pyannote.metrics, per file and overall."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pyannote.core import Annotation, Segment, Timeline
from pyannote.metrics.diarization import DiarizationErrorRate

from voxrank.serving.diarization import DiarizationPipeline, Turn
from voxrank.training.diarization.data.corpus import Recording
from voxrank.training.diarization.data.labels import turns_to_frames

COLLARS = (0.0, 0.5)
COMPONENTS = ("missed detection", "false alarm", "confusion", "total")


@dataclass(frozen=True)
class EvaluationItem:
    """One recording to score: samples, reference turns and scored regions."""

    uri: str
    waveform: np.ndarray
    turns: list[Turn]
    uem: list[tuple[float, float]]

    @classmethod
    def from_recording(cls, recording: Recording) -> EvaluationItem:
        """Load a corpus recording's audio and take its reference turns and scored regions."""
        return cls(recording.uri, recording.load(), recording.turns, recording.uem)

    @property
    def num_speakers(self) -> int:
        return len({turn.speaker for turn in self.turns})


def annotation(turns: list[Turn], uri: str) -> Annotation:
    result = Annotation(uri=uri)
    for index, turn in enumerate(turns):
        if turn.end > turn.start:
            result[Segment(turn.start, turn.end), index] = turn.speaker
    return result


def score(items: list[EvaluationItem], hypotheses: dict[str, list[Turn]]) -> dict[str, Any]:
    """DER with missed speech, false alarm and confusion (overlap scored) at collars 0 and 0.5 s."""
    report: dict[str, Any] = {"files": {item.uri: {} for item in items}, "overall": {}}
    for collar in COLLARS:
        metric = DiarizationErrorRate(collar=collar, skip_overlap=False)
        key = f"collar_{collar:g}"
        for item in items:
            uem = Timeline([Segment(start, end) for start, end in item.uem], uri=item.uri)
            detail = metric(
                annotation(item.turns, item.uri),
                annotation(hypotheses[item.uri], item.uri),
                uem=uem,
                detailed=True,
            )
            report["files"][item.uri][key] = _components(detail)
        report["overall"][key] = _components(dict(metric.accumulated_))  # summed over all files
    return report


def _components(detail: dict[str, float]) -> dict[str, float]:
    total = detail["total"]
    figures = {name.split()[0]: detail[name] / total if total else 0.0 for name in COMPONENTS[:3]}
    figures["der"] = sum(figures.values())
    figures["scored_s"] = total
    return figures


def diarize_items(
    pipeline: DiarizationPipeline, items: list[EvaluationItem], oracle_num_speakers: bool
) -> dict[str, list[Turn]]:
    return {
        item.uri: pipeline(
            item.waveform, num_speakers=item.num_speakers if oracle_num_speakers else None
        ).turns
        for item in items
    }


def oracle_linking(pipeline: DiarizationPipeline, item: EvaluationItem) -> list[Turn]:
    """A diagnostic: the pipeline with each local speaker linked to the reference speaker its activity
    overlaps most. What DER is left is the segmentation's; the rest of the system's is the linking's."""
    local = pipeline.segment(item.waveform)
    is_active = pipeline.clusterable(local)
    labels = np.full(is_active.shape, -1, dtype=np.int64)
    frames = local.activity.shape[1]
    frame_samples = pipeline.config.window_samples / frames
    offsets = np.round(local.starts / frame_samples).astype(np.int64)
    speakers = sorted({turn.speaker for turn in item.turns})
    reference = turns_to_frames(
        item.turns, speakers, int(offsets[-1]) + frames, frame_samples / pipeline.config.sample_rate
    )
    for window, slot in np.argwhere(is_active):
        covered = reference[offsets[window] : offsets[window] + frames]
        labels[window, slot] = int(np.argmax(local.activity[window, :, slot] @ covered))
    return pipeline.reconstruct(local, labels, len(item.waveform)).turns


def frames_to_turns(activity: np.ndarray, speakers: list[str], frame_s: float) -> list[Turn]:
    """Turns from a `[frames, S]` 0/1 matrix (the inverse of `turns_to_frames`)."""
    turns = []
    for column, speaker in enumerate(speakers):
        edges = np.diff(np.concatenate([[0], (activity[:, column] > 0).astype(np.int8), [0]]))
        for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            turns.append(Turn(start * frame_s, end * frame_s, speaker))
    return sorted(turns)


__all__ = [
    "EvaluationItem",
    "diarize_items",
    "frames_to_turns",
    "oracle_linking",
    "score",
    "turns_to_frames",
]
