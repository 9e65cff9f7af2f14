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
        """Run the segmenter over all windows, `batch_size` at a time (cut per batch: bounded memory)."""
        config = self.config
        starts = window_starts(len(waveform), config.window_samples, config.step_samples)
        samples = waveform.astype(np.float32, copy=False)
        activities, embeddings = [], []
        for first in range(0, len(starts), config.batch_size):
            windows = cut_windows(samples, starts[first : first + config.batch_size], config.window_samples)
            activity, embedding = self.segmenter(windows)
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
        labels = self.link(local, num_speakers, min_speakers, max_speakers)
        return self.reconstruct(local, labels, num_samples)

    def link(
        self,
        local: LocalSegmentation,
        num_speakers: int | None = None,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
    ) -> np.ndarray:
        """`[W, K]` global speaker of each local speaker (-1: too little speech to be clustered)."""
        is_active = self.clusterable(local)
        labels = np.full(is_active.shape, -1, dtype=np.int64)
        labels[is_active] = cluster_embeddings(
            local.embeddings[is_active],
            self.config.clustering_threshold,
            num_clusters=num_speakers,
            min_clusters=min_speakers,
            max_clusters=max_speakers,
        )
        return labels

    def clusterable(self, local: LocalSegmentation) -> np.ndarray:
        """`[W, K]`: local speakers with at least `min_local_speech_s` of speech, the ones `link` links."""
        config = self.config
        frame_s = config.window_samples / local.activity.shape[1] / config.sample_rate
        speech_frames = (local.activity > config.onset).sum(axis=1)
        return np.asarray(speech_frames * frame_s >= config.min_local_speech_s)

    def reconstruct(self, local: LocalSegmentation, labels: np.ndarray, num_samples: int) -> Diarization:
        """Turns of the global speakers `labels` (from `link`, or any other `[W, K]` assignment) name."""
        config = self.config
        frames = local.activity.shape[1]
        frame_samples = config.window_samples / frames
        frame_s = frame_samples / config.sample_rate
        num_global = int(labels.max()) + 1
        total_frames = int(np.ceil(num_samples / frame_samples))
        duration = num_samples / config.sample_rate
        if num_global == 0:
            return Diarization([], duration, [])
        offsets = np.round(local.starts / frame_samples).astype(np.int64)
        merged, merged_labels = _merge_by_cluster(local.activity, labels)
        scores = _speaker_scores(merged, merged_labels, offsets, total_frames, num_global)
        # How many speakers talk in each frame comes from the windows' own activity (local speakers
        # merged by cluster), so a clustering mistake swaps who speaks but does not erase speech, as in
        # pyannote's reconstruction.
        speaking = hysteresis(merged.transpose(0, 2, 1), config.onset, config.offset) & (
            merged_labels[:, :, None] >= 0
        )
        counts = overlap_add(speaking.sum(axis=1)[:, :, None].astype(np.float32), offsets, total_frames)[:, 0]
        speaking_count = np.floor(counts + 0.5).astype(np.int64)
        return _turns(top_speakers(scores, speaking_count), frame_s, duration, config)


def _merge_by_cluster(activity: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local speakers of one window that fell into the same cluster become one (max of activities);
    the later slot is then marked -1. Shapes stay `[W, F, K]` and `[W, K]`, so this is cheap."""
    merged, merged_labels = activity.copy(), labels.copy()
    for k in range(1, labels.shape[1]):
        for earlier in range(k):
            same = (merged_labels[:, k] >= 0) & (merged_labels[:, k] == merged_labels[:, earlier])
            merged[same, :, earlier] = np.maximum(merged[same, :, earlier], merged[same, :, k])
            merged_labels[same, k] = -1
    return merged, merged_labels


def _speaker_scores(
    merged: np.ndarray, labels: np.ndarray, offsets: np.ndarray, total_frames: int, num_global: int
) -> np.ndarray:
    """`[T, S]`: each global speaker's activity averaged over the windows covering each frame."""
    frames = merged.shape[1]
    length = max(total_frames, int(offsets[-1]) + frames)
    summed = np.zeros((length, num_global), dtype=np.float32)
    covering = np.zeros(length, dtype=np.float32)
    for offset, window, window_labels in zip(offsets, merged, labels, strict=True):
        present = window_labels >= 0
        summed[offset : offset + frames, window_labels[present]] += window[:, present]
        covering[offset : offset + frames] += 1
    return summed[:total_frames] / np.maximum(covering[:total_frames, None], 1)


def _turns(speaking: np.ndarray, frame_s: float, duration: float, config: PipelineConfig) -> Diarization:
    turns: list[Turn] = []
    for speaker in range(speaking.shape[1]):
        starts, ends = active_regions(speaking[:, speaker])
        starts, ends = smooth_regions(
            starts * frame_s,
            np.minimum(ends * frame_s, duration),
            config.min_duration_on,
            config.min_duration_off,
        )
        turns.extend(
            Turn(start, end, str(speaker)) for start, end in zip(starts.tolist(), ends.tolist(), strict=True)
        )
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
