from pathlib import Path

import numpy as np
import torch

from voxrank.training.diarization.config import parse_config
from voxrank.training.diarization.data.build import build_training_data
from voxrank.training.diarization.data.simulator import ConversationSimulator, SimulationConfig
from voxrank.training.diarization.data.speakers import load_speaker_folder, synthetic_speakers


def _simulator(cache: Path, **settings) -> ConversationSimulator:
    source = synthetic_speakers(4, 2, cache, seed=1)
    return ConversationSimulator(
        source, SimulationConfig(noise_probability=0, reverb_probability=0, **settings), 320
    )


def test_labels_mark_exactly_where_each_speaker_sounds(espeak_cache: Path) -> None:
    conversation = _simulator(espeak_cache).conversation(np.random.default_rng(0), 160_000, num_speakers=2)
    frame_energy = (conversation.waveform.reshape(500, 320) ** 2).mean(axis=1)
    speech = conversation.activity.max(axis=1) > 0
    assert conversation.activity.shape == (500, 2) and len(conversation.speakers) == 2
    assert speech.mean() > 0.3 and np.all(conversation.activity.sum(axis=0) > 0)
    assert np.all(frame_energy[~speech] < 1e-8), "no sound outside labelled speech without noise or reverb"
    assert np.median(frame_energy[speech]) > 1e-4


def test_overlap_probability_controls_overlap(espeak_cache: Path) -> None:
    def overlap(probability: float) -> float:
        simulator = _simulator(espeak_cache, overlap_probability=probability)
        rng = np.random.default_rng(5)
        runs = [simulator.conversation(rng, 320_000, num_speakers=3).activity for _ in range(4)]
        return float(np.mean([(a.sum(axis=1) > 1).mean() for a in runs]))

    assert overlap(0.0) == 0.0
    assert overlap(0.9) > 0.1


def test_windows_are_deterministic_given_the_seed(tiny_config) -> None:
    config = parse_config(tiny_config)
    windows = build_training_data(config, hop=320, num_speakers=3).windows
    first, again, other = windows[11], windows[11], windows[12]
    assert all(torch.equal(first[key], again[key]) for key in first)
    assert not torch.equal(first["waveform"], other["waveform"])
    assert first["waveform"].shape == (32_000,) and first["labels"].shape == (100, 3)
    assert first["speaker_ids"].shape == (3,)
    reseeded = build_training_data(parse_config({**tiny_config, "seed": 4}), hop=320, num_speakers=3).windows
    assert not torch.equal(reseeded[11]["waveform"], first["waveform"])


def test_speaker_folder_layout(tmp_path: Path, espeak_cache: Path) -> None:
    import soundfile as sf

    source = synthetic_speakers(2, 2, espeak_cache, seed=1)
    for name, utterances in source.utterances.items():
        (tmp_path / name).mkdir()
        for index, samples in enumerate(utterances):
            sf.write(tmp_path / name / f"{index}.flac", samples, 16_000)
    loaded = load_speaker_folder(tmp_path, prefix="x:")
    assert loaded.speakers == sorted(f"x:{name}" for name in source.speakers)
    assert all(len(value) == 2 for value in loaded.utterances.values())
