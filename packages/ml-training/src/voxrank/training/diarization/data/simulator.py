"""Multi-speaker conversations with exact labels, simulated from single-speaker utterances.

Turn taking between 1-3 speakers with pauses; a chosen share of turn changes overlap; per-speaker
gain; simple reverberation (exponentially decaying noise impulse responses); additive coloured noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.signal import fftconvolve

from voxrank.training.diarization.data.labels import energy_activity
from voxrank.training.diarization.data.speakers import SpeakerUtterances

SAMPLE_RATE = 16_000


class SimulationConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker_count_weights: list[float] = Field(
        default_factory=lambda: [0.05, 0.25, 0.4, 0.3], description="chance of 0, 1, 2, 3... speakers"
    )
    overlap_probability: float = Field(
        default=0.2, ge=0, le=1, description="share of turn changes that overlap"
    )
    max_overlap_s: float = Field(default=1.5, gt=0)
    max_pause_s: float = Field(default=1.0, ge=0)
    turn_s: tuple[float, float] = (0.6, 4.0)
    gain_db: float = Field(default=6.0, ge=0, description="per-speaker gain drawn from +-gain_db")
    snr_db: tuple[float, float] = (5.0, 35.0)
    noise_probability: float = Field(default=0.7, ge=0, le=1)
    reverb_probability: float = Field(default=0.4, ge=0, le=1)
    rt60_s: tuple[float, float] = (0.1, 0.6)


@dataclass(frozen=True)
class Conversation:
    """Mixed waveform, per-speaker frame activity `[frames, S]` and the speakers' names."""

    waveform: np.ndarray
    activity: np.ndarray
    speakers: list[str]


class ConversationSimulator:
    def __init__(self, source: SpeakerUtterances, config: SimulationConfig, hop: int) -> None:
        if not source.utterances:
            raise ValueError("the conversation simulator needs at least one speaker")
        self.source, self.config, self.hop = source, config, hop
        self.names = source.speakers
        self._activity = {
            name: [energy_activity(utterance, hop) for utterance in source.utterances[name]]
            for name in self.names
        }

    def conversation(
        self, rng: np.random.Generator, samples: int, num_speakers: int | None = None
    ) -> Conversation:
        """A `samples`-long conversation; it may start mid-turn, as a window cut from a longer one does."""
        count = self._speaker_count(rng) if num_speakers is None else num_speakers
        count = min(count, len(self.names))
        speakers = [str(name) for name in rng.choice(self.names, size=count, replace=False)]
        frames = samples // self.hop
        tracks = np.zeros((count, frames * self.hop), dtype=np.float32)
        activity = np.zeros((frames, count), dtype=np.float32)
        if count:
            self._take_turns(rng, speakers, tracks, activity)
            self._reverberate(rng, tracks)
        mixture = tracks.sum(axis=0)
        mixture = self._add_noise(rng, mixture)
        waveform = np.zeros(samples, dtype=np.float32)
        waveform[: len(mixture)] = mixture
        return Conversation(waveform, activity, speakers)

    def _speaker_count(self, rng: np.random.Generator) -> int:
        weights = np.asarray(self.config.speaker_count_weights, dtype=np.float64)
        return int(rng.choice(len(weights), p=weights / weights.sum()))

    def _take_turns(
        self, rng: np.random.Generator, speakers: list[str], tracks: np.ndarray, activity: np.ndarray
    ) -> None:
        config, hop = self.config, self.hop
        frames = activity.shape[0]
        gains = 10 ** (rng.uniform(-config.gain_db, config.gain_db, size=len(speakers)) / 20)
        position = int(rng.uniform(-2.0, 0.5) * SAMPLE_RATE / hop)
        current = int(rng.integers(len(speakers)))
        while position < frames:
            name = speakers[current]
            pick = int(rng.integers(len(self.source.utterances[name])))
            utterance, mask = self.source.utterances[name][pick], self._activity[name][pick]
            length = min(int(rng.uniform(*config.turn_s) * SAMPLE_RATE / hop), len(mask))
            offset = int(rng.integers(len(mask) - length + 1))
            segment = utterance[offset * hop : (offset + length) * hop]
            segment = segment / (np.sqrt(np.mean(segment**2)) + 1e-6) * 0.1 * gains[current]
            self._place(
                tracks[current], activity[:, current], segment, mask[offset : offset + length], position
            )
            end = position + length
            if len(speakers) > 1:
                current = (current + int(rng.integers(1, len(speakers)))) % len(speakers)
            if len(speakers) > 1 and rng.random() < config.overlap_probability:
                overlap = rng.uniform(0.2, min(config.max_overlap_s, length * hop / SAMPLE_RATE))
                position = max(end - int(overlap * SAMPLE_RATE / hop), position + 1)
            else:
                position = end + int(rng.uniform(0.0, config.max_pause_s) * SAMPLE_RATE / hop)

    def _place(
        self, track: np.ndarray, column: np.ndarray, segment: np.ndarray, mask: np.ndarray, start: int
    ) -> None:
        hop = self.hop
        first, last = max(start, 0), min(start + len(mask), len(column))
        if first >= last:
            return
        column[first:last] = np.maximum(column[first:last], mask[first - start : last - start])
        track[first * hop : last * hop] += segment[(first - start) * hop : (last - start) * hop]

    def _reverberate(self, rng: np.random.Generator, tracks: np.ndarray) -> None:
        if rng.random() >= self.config.reverb_probability:
            return
        rt60 = rng.uniform(*self.config.rt60_s)
        taps = int(rt60 * SAMPLE_RATE)
        decay = np.exp(-6.9 * np.arange(taps) / taps)
        for index in range(len(tracks)):
            response = rng.standard_normal(taps) * decay
            response[0] = 1.0 / 0.3
            response *= 0.3 / np.sqrt(np.sum(response**2))
            tracks[index] = fftconvolve(tracks[index], response)[: tracks.shape[1]]

    def _add_noise(self, rng: np.random.Generator, mixture: np.ndarray) -> np.ndarray:
        if rng.random() >= self.config.noise_probability:
            return mixture
        colour = rng.uniform(0.0, 2.0)  # 0 white, 1 pink, 2 brown
        spectrum = np.fft.rfft(rng.standard_normal(len(mixture)))
        spectrum /= np.maximum(np.arange(len(spectrum)), 1) ** (colour / 2)
        noise = np.fft.irfft(spectrum, n=len(mixture))
        speech_power = np.mean(mixture**2) if np.any(mixture) else 0.01
        snr = rng.uniform(*self.config.snr_db)
        noise *= np.sqrt(speech_power / 10 ** (snr / 10) / (np.mean(noise**2) + 1e-12))
        return (mixture + noise).astype(np.float32)
