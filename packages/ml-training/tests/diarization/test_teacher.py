from pathlib import Path

import numpy as np
import pytest
import torch

from voxrank.training.diarization.config import ConfigError, parse_config
from voxrank.training.diarization.data.espeak import synthetic_utterances, synthetic_voices
from voxrank.training.diarization.data.windows import LabelledRecording
from voxrank.training.diarization.models import build_model
from voxrank.training.diarization.objective import DiarizationObjective
from voxrank.training.diarization.teacher import (
    TEACHER_DIM,
    centred,
    single_speaker_audio,
    teacher_embeddings,
)
from voxrank.training.diarization.train import train


def test_single_speaker_audio_takes_only_stretches_where_one_speaker_talks_alone() -> None:
    hop, frames = 10, 100
    waveform = np.arange(frames * hop, dtype=np.float32)
    labels = np.zeros((frames, 2), dtype=np.float32)
    labels[0:40, 0] = 1  # speaker 7 alone for frames 0-29, then overlapped by speaker 9
    labels[30:70, 1] = 1  # speaker 9 alone for frames 40-69
    labels[90:95, 0] = 1  # too short to keep
    audio = single_speaker_audio(LabelledRecording(waveform, labels, np.array([7, 9])), hop)
    assert set(audio) == {7, 9}
    np.testing.assert_array_equal(audio[7], waveform[0:300])
    np.testing.assert_array_equal(audio[9], waveform[400:700])


def test_teacher_embeds_each_speaker_and_reads_its_cache(tmp_path: Path, espeak_cache: Path) -> None:
    voices = synthetic_voices(3, seed=0)
    audio = [synthetic_utterances(voice, 2, espeak_cache, 0) for voice in voices]
    names = [voice.name for voice in voices]
    cache = tmp_path / "teacher.npz"
    embeddings = teacher_embeddings([*audio, [np.zeros(100, dtype=np.float32)]], [*names, "mute"], cache)
    assert embeddings.shape == (4, TEACHER_DIM)
    np.testing.assert_allclose(np.linalg.norm(embeddings[:3], axis=1), 1.0, atol=1e-5)
    assert not embeddings[3].any(), "a speaker without a second of speech has no teacher"
    similarity = embeddings[:3] @ embeddings[:3].T
    assert similarity[0, 0] > similarity[0, 1] and similarity[0, 0] > similarity[0, 2]

    np.savez(cache, names=np.array([*names, "mute"]), embeddings=np.full((4, TEACHER_DIM), 0.5))
    assert teacher_embeddings([*audio, []], [*names, "mute"], cache)[0, 0] == 0.5
    assert teacher_embeddings(audio, names, cache)[0, 0] != 0.5, "a cache of other speakers is remade"


def test_distillation_pulls_local_speaker_embeddings_to_the_teacher(tiny_config) -> None:
    values = {**tiny_config["model_config"], "embedding_dim": TEACHER_DIM}
    torch.manual_seed(0)
    model = build_model("fastcnn", values)
    teacher = torch.nn.functional.normalize(torch.rand(4, TEACHER_DIM), dim=1)
    teacher[3] = 0
    objective = DiarizationObjective(model, TEACHER_DIM, 4, 0.0, 10, teacher=teacher, distillation_weight=1.0)
    waveform = torch.randn(4, 32_000) * 0.1
    labels = torch.zeros(4, 100, 3)
    labels[:, :60, 0], labels[:, 40:, 1] = 1, 1
    ids = torch.tensor([[0, 1, -1], [2, 3, -1], [1, 0, -1], [3, 3, -1]])
    optimizer = torch.optim.Adam(objective.parameters(), lr=3e-3)
    losses = []
    for _ in range(20):
        loss = objective(waveform, labels, ids)
        optimizer.zero_grad()
        loss["loss"].backward()
        optimizer.step()
        losses.append(loss["distillation_loss"].item())
    assert losses[-1] < 0.5 * losses[0], losses


def test_distillation_needs_the_teachers_embedding_size(tiny_config) -> None:
    training = {**tiny_config["training"], "distillation_weight": 1.0}
    with pytest.raises(ConfigError, match=f"embedding_dim = {TEACHER_DIM}"):
        parse_config({**tiny_config, "training": training})


def test_a_distilled_run_caches_the_teacher_and_resumes_the_same(tiny_config, tmp_path: Path) -> None:
    raw = {
        **tiny_config,
        "model_config": {**tiny_config["model_config"], "embedding_dim": TEACHER_DIM},
        "training": {**tiny_config["training"], "distillation_weight": 1.0},
    }
    first = train(parse_config(raw)).parent
    assert (first / "teacher-embeddings.npz").is_file()
    again = parse_config({**raw, "output_dir": str(tmp_path / "again")})
    again.output_dir.mkdir()
    (again.output_dir / "teacher-embeddings.npz").write_bytes((first / "teacher-embeddings.npz").read_bytes())
    train(again)
    expected = torch.load(first / "last.pt", weights_only=False)["state_dict"]
    cached = torch.load(again.output_dir / "last.pt", weights_only=False)["state_dict"]
    for name, tensor in expected.items():
        assert torch.equal(cached[name], tensor), name


def test_centred_teacher_targets_keep_only_what_separates_speakers() -> None:
    shared = np.ones(TEACHER_DIM)
    rng = np.random.default_rng(0)
    raw = shared + 0.1 * rng.standard_normal((5, TEACHER_DIM))
    raw /= np.linalg.norm(raw, axis=1, keepdims=True)
    raw[4] = 0
    targets = centred(raw)
    assert (raw[:4] @ raw[:4].T).min() > 0.9
    np.testing.assert_allclose(np.linalg.norm(targets[:4], axis=1), 1.0, atol=1e-5)
    assert not targets[4].any()
    assert np.abs(targets[:4].sum(axis=0)).max() < 1e-4 * 4 * TEACHER_DIM
