"""Turning a config's data section into training windows and validation recordings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voxrank.training.diarization.config import DiarizationConfig
from voxrank.training.diarization.data.simulator import ConversationSimulator
from voxrank.training.diarization.data.speakers import (
    SpeakerUtterances,
    load_speaker_folder,
    synthetic_speakers,
)
from voxrank.training.diarization.data.windows import DiarizationWindows, LabelledRecording
from voxrank.training.diarization.evaluation import EvaluationItem, frames_to_turns
from voxrank.training.diarization.teacher import single_speaker_audio

SAMPLE_RATE = 16_000


@dataclass
class TrainingData:
    windows: DiarizationWindows
    speaker_names: list[str]
    validation: list[EvaluationItem]
    # Single-speaker audio of each training speaker, in `speaker_names` order (what a teacher embeds).
    speaker_audio: list[list[np.ndarray]]
    # Where pipeline settings are tuned: the validation recordings of real corpora when there are any
    # (they sound like the target data), else every validation item.
    tuning: list[EvaluationItem]


def corpus_prefix(index: int) -> str:
    return f"corpus{index}:"


def build_training_data(config: DiarizationConfig, hop: int, num_speakers: int) -> TrainingData:
    source = _speaker_source(config)
    training_source, heldout = _hold_out(source, config.data.heldout_speakers, config.seed)
    corpora = [split.recordings() for split in config.data.corpora]
    names = list(training_source.speakers)
    for index, group in enumerate(corpora):
        names += sorted({corpus_prefix(index) + s for recording in group for s in recording.speakers})
    speaker_index = {name: position for position, name in enumerate(names)}
    labelled = [
        LabelledRecording.from_recording(recording, hop, speaker_index, corpus_prefix(index))
        for index, group in enumerate(corpora)
        for recording in group
    ]
    simulator = (
        ConversationSimulator(training_source, config.simulation, hop) if training_source.utterances else None
    )
    windows = DiarizationWindows(
        simulator=simulator,
        speaker_index=speaker_index,
        recordings=labelled,
        recording_probability=config.data.recording_probability,
        window_samples=round(config.data.window_s * SAMPLE_RATE),
        hop=hop,
        num_speakers=num_speakers,
        seed=config.seed,
    )
    simulated, recorded = validation_items(config, heldout, hop)
    return TrainingData(
        windows,
        names,
        simulated + recorded,
        _speaker_audio(training_source, labelled, names, hop),
        recorded or simulated,
    )


def _speaker_audio(
    source: SpeakerUtterances, recordings: list[LabelledRecording], names: list[str], hop: int
) -> list[list[np.ndarray]]:
    audio = [list(source.utterances.get(name, [])) for name in names]
    for recording in recordings:
        for speaker_id, samples in single_speaker_audio(recording, hop).items():
            audio[speaker_id].append(samples)
    return audio


def validation_items(
    config: DiarizationConfig, heldout: SpeakerUtterances, hop: int
) -> tuple[list[EvaluationItem], list[EvaluationItem]]:
    """Simulated conversations of held-out speakers, and the recordings of the validation corpora."""
    items, recordings = [], []
    if heldout.utterances and config.validation.conversations:
        simulator = ConversationSimulator(heldout, config.simulation, hop)
        rng = np.random.default_rng([config.seed, 7919])
        samples = round(config.validation.duration_s * SAMPLE_RATE)
        for index in range(config.validation.conversations):
            conversation = simulator.conversation(rng, samples, num_speakers=2 + index % 2)
            turns = frames_to_turns(conversation.activity, conversation.speakers, hop / SAMPLE_RATE)
            duration = samples / SAMPLE_RATE
            items.append(
                EvaluationItem(f"simulated{index:03d}", conversation.waveform, turns, [(0.0, duration)])
            )
    for split in config.validation.corpora:
        for recording in split.recordings():
            recordings.append(EvaluationItem.from_recording(recording))
    return items, recordings


def _speaker_source(config: DiarizationConfig) -> SpeakerUtterances:
    source = SpeakerUtterances()
    for index, folder in enumerate(config.data.speaker_folders):
        source = source.merge(load_speaker_folder(folder, prefix=f"folder{index}:"))
    if config.data.synthetic_speakers:
        source = source.merge(
            synthetic_speakers(
                config.data.synthetic_speakers,
                config.data.synthetic_utterances,
                config.data.synthetic_cache,
                config.seed,
            )
        )
    return source


def _hold_out(
    source: SpeakerUtterances, count: int, seed: int
) -> tuple[SpeakerUtterances, SpeakerUtterances]:
    if count == 0:
        return source, SpeakerUtterances()
    if count >= len(source.speakers):
        raise ValueError(f"cannot hold out {count} of {len(source.speakers)} speakers")
    rng = np.random.default_rng([seed, 104729])
    chosen = set(rng.choice(source.speakers, size=count, replace=False).tolist())
    kept = {name: value for name, value in source.utterances.items() if name not in chosen}
    held = {name: value for name, value in source.utterances.items() if name in chosen}
    return SpeakerUtterances(kept), SpeakerUtterances(held)
