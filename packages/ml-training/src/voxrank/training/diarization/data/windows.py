"""Fixed-length training windows cut on the fly; window `i` depends only on (seed, i): runs resume exactly."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from voxrank.training.diarization.data.corpus import Recording
from voxrank.training.diarization.data.labels import select_local_speakers, turns_to_frames
from voxrank.training.diarization.data.simulator import ConversationSimulator

SAMPLE_RATE = 16_000


@dataclass(frozen=True)
class LabelledRecording:
    """A real recording held in memory with frame labels `[frames, S]` and global speaker ids `[S]`."""

    waveform: np.ndarray
    labels: np.ndarray
    speaker_ids: np.ndarray

    @classmethod
    def from_recording(
        cls, recording: Recording, hop: int, speaker_index: dict[str, int], prefix: str
    ) -> LabelledRecording:
        waveform = recording.load()
        speakers = recording.speakers
        labels = turns_to_frames(recording.turns, speakers, len(waveform) // hop, hop / SAMPLE_RATE)
        ids = np.array([speaker_index.get(prefix + speaker, -1) for speaker in speakers], dtype=np.int64)
        return cls(waveform, labels, ids)


class DiarizationWindows(Dataset[dict[str, torch.Tensor]]):
    """Windows from simulated conversations and, with `recording_probability`, crops of real recordings."""

    def __init__(
        self,
        *,
        simulator: ConversationSimulator | None,
        speaker_index: dict[str, int],
        recordings: list[LabelledRecording],
        recording_probability: float,
        window_samples: int,
        hop: int,
        num_speakers: int,
        seed: int,
    ) -> None:
        if simulator is None and not recordings:
            raise ValueError("training windows need a conversation simulator or real recordings")
        self.simulator, self.speaker_index, self.recordings = simulator, speaker_index, recordings
        self.recording_probability = recording_probability if simulator is not None else 1.0
        self.window_samples, self.hop, self.k, self.seed = window_samples, hop, num_speakers, seed

    def __len__(self) -> int:
        return 2**31 - 1

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, index])
        if self.recordings and rng.random() < self.recording_probability:
            waveform, labels, ids = self._crop(rng)
        else:
            waveform, labels, ids = self._simulate(rng)
        local, local_ids = select_local_speakers(labels, ids, self.k)
        return {
            "waveform": torch.from_numpy(waveform.astype(np.float32)),
            "labels": torch.from_numpy(local),
            "speaker_ids": torch.from_numpy(local_ids),
        }

    def _simulate(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        assert self.simulator is not None
        conversation = self.simulator.conversation(rng, self.window_samples)
        ids = np.array([self.speaker_index[name] for name in conversation.speakers], dtype=np.int64)
        return conversation.waveform, conversation.activity, ids

    def _crop(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        recording = self.recordings[int(rng.integers(len(self.recordings)))]
        frames = self.window_samples // self.hop
        start = int(rng.integers(max(len(recording.labels) - frames, 0) + 1))
        waveform = np.zeros(self.window_samples, dtype=np.float32)
        piece = recording.waveform[start * self.hop : start * self.hop + self.window_samples]
        waveform[: len(piece)] = piece * 10 ** (rng.uniform(-6, 6) / 20)
        labels = np.zeros((frames, recording.labels.shape[1]), dtype=np.float32)
        span = recording.labels[start : start + frames]
        labels[: len(span)] = span
        return waveform, labels, recording.speaker_ids


class StepBatches(Sampler[list[int]]):
    """Batch indices for steps `first_step..total_steps-1`; rank r of w takes a share of each global batch"""

    def __init__(
        self, first_step: int, total_steps: int, batch_size: int, rank: int = 0, world_size: int = 1
    ) -> None:
        self.first_step, self.total_steps = first_step, total_steps
        self.batch_size, self.rank, self.world_size = batch_size, rank, world_size

    def __len__(self) -> int:
        return max(self.total_steps - self.first_step, 0)

    def __iter__(self) -> Iterator[list[int]]:
        for step in range(self.first_step, self.total_steps):
            base = (step * self.world_size + self.rank) * self.batch_size
            yield list(range(base, base + self.batch_size))
