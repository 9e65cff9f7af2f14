"""`pipeline` mode: the real diarization pipeline over synthetic recordings, pinned to one core."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from voxrank.serving.audio import SAMPLE_RATE, load_audio
from voxrank.serving.bench.model import ModelTarget
from voxrank.serving.bench.pipeline import pinned_to, run_pipeline_mode
from voxrank.serving.bench.synthetic import synthetic_conversation, wav_bytes


def test_synthetic_conversation_has_turns_of_every_speaker_and_the_length_asked() -> None:
    conversation = synthetic_conversation(60.0, speakers=3, seed=2)
    assert conversation.duration_s == pytest.approx(60.0)
    assert {speaker for _, _, speaker in conversation.turns} == {0, 1, 2}
    assert all(0 <= start < end <= 60.0 for start, end, _ in conversation.turns)
    assert 0.05 < np.abs(conversation.waveform).max() < 1.0
    again = synthetic_conversation(60.0, speakers=3, seed=2)
    np.testing.assert_array_equal(conversation.waveform, again.waveform)


def test_wav_bytes_decode_to_the_same_audio() -> None:
    waveform = synthetic_conversation(2.0, seed=1).waveform
    decoded = load_audio(wav_bytes(waveform))
    assert len(decoded) == 2 * SAMPLE_RATE
    np.testing.assert_allclose(decoded, waveform, atol=1 / 2**14)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_pinning_restricts_and_restores_the_affinity() -> None:
    before = os.sched_getaffinity(0)
    with pinned_to(1) as pinned:
        assert len(pinned) == 1
        assert os.sched_getaffinity(0) == set(pinned)
    assert os.sched_getaffinity(0) == before


def test_pipeline_mode_reports_real_time_factor(standin_model: Path) -> None:
    target = ModelTarget("standin", "fp32", standin_model)
    [measurement] = run_pipeline_mode([target], [0.5], cores=1)
    figures = measurement.figures
    assert measurement.status == "ok"
    assert figures["audio_s"] == pytest.approx(30.0)
    assert figures["rtf"] == pytest.approx(figures["wall_s"] / 30.0)
    assert figures["wall_s"] == pytest.approx(figures["inference_s"] + figures["postprocessing_s"])
    assert figures["windows"] == 11  # 30 s in 5 s windows every 2.5 s
    assert figures["turns"] > 0
    assert measurement.parameters["cores"] == 1
