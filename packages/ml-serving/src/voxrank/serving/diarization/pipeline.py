"""The diarization pipeline: windows -> segmenter -> local speakers -> clustering -> aggregated turns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voxrank.serving.diarization.binarize import active_regions, hysteresis, smooth_regions, top_speakers
from voxrank.serving.diarization.clustering import cluster_embeddings
from voxrank.serving.diarization.config import PipelineConfig
from voxrank.serving.diarization.segmenter import Segmenter
from voxrank.serving.diarization.turns import Diarization, Turn
from voxrank.serving.diarization.windows import cut_windows, overlap_add, window_starts


class PipelineInputError(ValueError):
    """A waveform or speaker-count request the pipeline cannot work with."""


@dataclass(frozen=True)
class LocalSegmentation:
    """The segmenter's view of every window: activity `[W, F, K]`, embeddings `[W, K, D]`, starts."""

    activity: np.ndarray
    embeddings: np.ndarray
    starts: np.ndarray


class DiarizationPipeline:
    """Diarize a 16 kHz mono float32 waveform with any `Segmenter` (ONNX Runtime or torch)."""

    def __init__(self, segmenter: Segmenter, config: PipelineConfig | None = None) -> None:
        self.segmenter = segmenter
        self.config = config or PipelineConfig(window_s=segmenter.window_samples / 16_000)
        if self.config.window_samples != segmenter.window_samples:
            raise PipelineInputError(
                f"config window ({self.config.window_samples} samples) differs from the "
                f"segmenter's ({segmenter.window_samples} samples)"
            )

    def __call__(
        self,
        waveform: np.ndarray,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        _check_waveform(waveform)
        _check_speaker_counts(num_speakers, min_speakers, max_speakers)
        local = self.segment(waveform)
        return self.diarize_segmentation(local, len(waveform), num_speakers, min_speakers, max_speakers)

    def segment(self, waveform: np.ndarray) -> LocalSegmentation:
        """Run the segmenter over all windows, `batch_size` windows at a time."""
        starts = window_starts(len(waveform), self.config.window_samples, self.config.step_samples)
        windows = cut_windows(waveform.astype(np.float32, copy=False), starts, self.config.window_samples)
        activities, embeddings = [], []
        for first in range(0, len(windows), self.config.batch_size):
            activity, embedding = self.segmenter(windows[first : first + self.config.batch_size])
            activities.append(np.asarray(activity, dtype=np.float32))
            embeddings.append(np.asarray(embedding, dtype=np.float32))
        return LocalSegmentation(np.concatenate(activities), np.concatenate(embeddings), starts)

    def diarize_segmentation(
        self,
        local: LocalSegmentation,
        num_samples: int,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> Diarization:
        """Cluster local speakers into global ones and aggregate their activity into turns."""
        config = self.config
        frames = local.activity.shape[1]
        frame_samples = config.window_samples / frames
        frame_s = frame_samples / config.sample_rate
        speech_frames = (local.activity > config.onset).sum(axis=1)
        is_active = speech_frames * frame_s >= config.min_local_speech_s
        labels = np.full(is_active.shape, -1, dtype=np.int64)
        labels[is_active] = cluster_embeddings(
            local.embeddings[is_active],
            config.clustering_threshold,
            num_clusters=num_speakers,
            min_clusters=min_speakers,
            max_clusters=max_speakers,
        )
        num_global = int(labels.max()) + 1
        total_frames = int(np.ceil(num_samples / frame_samples))
        duration = num_samples / config.sample_rate
        if num_global == 0:
            return Diarization([], duration, [])
        offsets = np.round(local.starts / frame_samples).astype(np.int64)
        per_window = _global_activity(local.activity, labels, num_global)
        scores = overlap_add(per_window, offsets, total_frames)
        # How many speakers talk in each frame comes from the windows' own activity (local speakers
        # merged by cluster), so a clustering mistake swaps who speaks but does not erase speech, as in
        # pyannote's reconstruction.
        speaking = hysteresis(per_window.transpose(0, 2, 1), config.onset, config.offset).sum(axis=1)
        counts = overlap_add(speaking[:, :, None].astype(np.float32), offsets, total_frames)[:, 0]
        speaking_count = np.floor(counts + 0.5).astype(np.int64)
        return _turns(top_speakers(scores, speaking_count), frame_s, duration, config)


def _global_activity(activity: np.ndarray, labels: np.ndarray, num_global: int) -> np.ndarray:
    """`[W, F, S]`: per window, each global speaker's activity (max over local speakers mapped to it)."""
    windows, frames, local_speakers = activity.shape
    result = np.zeros((windows, frames, num_global), dtype=np.float32)
    window_index = np.arange(windows)
    for k in range(local_speakers):
        mapped = labels[:, k] >= 0
        rows, cols = window_index[mapped], labels[mapped, k]
        result[rows, :, cols] = np.maximum(result[rows, :, cols], activity[mapped, :, k])
    return result


def _turns(speaking: np.ndarray, frame_s: float, duration: float, config: PipelineConfig) -> Diarization:
    turns: list[Turn] = []
    for speaker in range(speaking.shape[1]):
        mask = speaking[:, speaker]
        regions = [(start * frame_s, min(end * frame_s, duration)) for start, end in active_regions(mask)]
        for start, end in smooth_regions(regions, config.min_duration_on, config.min_duration_off):
            turns.append(Turn(start, end, str(speaker)))
    turns.sort()
    order = list(dict.fromkeys(turn.speaker for turn in turns))
    names = {speaker: f"SPEAKER_{index:02d}" for index, speaker in enumerate(order)}
    named = [Turn(turn.start, turn.end, names[turn.speaker]) for turn in turns]
    return Diarization(named, duration, [names[speaker] for speaker in order])


def _check_waveform(waveform: np.ndarray) -> None:
    if not isinstance(waveform, np.ndarray) or waveform.ndim != 1:
        raise PipelineInputError("waveform must be a 1-D numpy array of 16 kHz mono samples")
    if len(waveform) == 0:
        raise PipelineInputError("waveform is empty")
    if not np.all(np.isfinite(waveform)):
        raise PipelineInputError("waveform contains NaN or infinite samples")


def _check_speaker_counts(num: int | None, low: int | None, high: int | None) -> None:
    for name, value in (("num_speakers", num), ("min_speakers", low), ("max_speakers", high)):
        if value is not None and value < 1:
            raise PipelineInputError(f"{name} must be at least 1, got {value}")
    if low is not None and high is not None and low > high:
        raise PipelineInputError(f"min_speakers ({low}) exceeds max_speakers ({high})")
    if num is not None and (low is not None or high is not None):
        raise PipelineInputError("give either num_speakers or min/max_speakers, not both")
