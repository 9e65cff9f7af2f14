"""POST /v1/diarize against a real server: the known answer, both upload styles, both output formats."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pytest
import soxr

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.diarization import read_rttm
from voxrank.serving.tone_model import expected_turns, tone_conversation

from .conftest import CONVERSATION, MODEL, wav_bytes

BOUNDARY_TOLERANCE_S = 0.1


def assert_known_answer(turns: list[dict]) -> None:
    expected = expected_turns(CONVERSATION)
    assert len(turns) == len(expected)
    labels: dict[int, str] = {}
    for turn, (start, end, speaker) in zip(turns, expected, strict=True):
        assert turn["start"] == pytest.approx(start, abs=BOUNDARY_TOLERANCE_S)
        assert turn["end"] == pytest.approx(end, abs=BOUNDARY_TOLERANCE_S)
        # The same tone must always get the same label, and different tones different labels.
        assert labels.setdefault(speaker, turn["speaker"]) == turn["speaker"]
    assert len(set(labels.values())) == 2


def test_multipart_upload_gets_the_known_turns(client: httpx.Client, conversation_wav: bytes) -> None:
    response = client.post("/v1/diarize", files={"file": ("talk.wav", conversation_wav, "audio/wav")})

    assert response.status_code == 200, response.text
    body = response.json()
    assert_known_answer(body["turns"])
    assert body["model"] == MODEL
    assert body["version"] == "1.0.0"
    assert body["provider"] == "cpu"
    assert body["num_speakers"] == 2
    assert body["duration_s"] == pytest.approx(8.0, abs=1e-3)
    assert response.headers["x-request-id"]


def test_raw_body_and_rttm_output(client: httpx.Client, conversation_wav: bytes, tmp_path: Path) -> None:
    response = client.post(
        "/v1/diarize",
        params={"format": "rttm", "uri": "meeting-1"},
        content=conversation_wav,
        headers={"content-type": "audio/wav"},
    )

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    rttm = tmp_path / "answer.rttm"
    rttm.write_text(response.text)
    turns = read_rttm(rttm)["meeting-1"]
    assert_known_answer([{"start": t.start, "end": t.end, "speaker": t.speaker} for t in turns])


@pytest.mark.parametrize("fmt", ["FLAC", "OGG"])
def test_stereo_44k1_compressed_audio_is_decoded_and_resampled(client: httpx.Client, fmt: str) -> None:
    mono = tone_conversation(CONVERSATION)
    resampled = soxr.resample(mono, SAMPLE_RATE, 44_100)
    stereo = np.stack([resampled, resampled], axis=1)

    response = client.post(
        "/v1/diarize", files={"file": ("talk", wav_bytes(stereo, 44_100, fmt), "audio/x-any")}
    )

    assert response.status_code == 200, response.text
    assert_known_answer(response.json()["turns"])


def test_num_speakers_one_merges_everybody(client: httpx.Client, conversation_wav: bytes) -> None:
    response = client.post(
        "/v1/diarize",
        params={"num_speakers": 1},
        content=conversation_wav,
        headers={"content-type": "audio/wav"},
    )

    assert response.status_code == 200, response.text
    assert {turn["speaker"] for turn in response.json()["turns"]} == {"SPEAKER_00"}


def test_explicit_model_name_is_used(client: httpx.Client, conversation_wav: bytes) -> None:
    response = client.post(
        "/v1/diarize",
        params={"model": MODEL},
        content=conversation_wav,
        headers={"content-type": "audio/wav"},
    )
    assert response.status_code == 200
    assert response.json()["model"] == MODEL
