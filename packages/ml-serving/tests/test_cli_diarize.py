"""`voxrank-serve models` and `voxrank-serve diarize FILE` on a repository with the tone model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf
from typer.testing import CliRunner

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.cli import app
from voxrank.serving.tone_model import ToneTurn, expected_turns, publish_tone_model, tone_conversation

TURNS = [ToneTurn(0, 2.0), ToneTurn(1, 3.0), ToneTurn(0, 1.0)]


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    root = tmp_path / "repository"
    publish_tone_model(root, "diarization-tone", "1.0.0")
    return root


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    path = tmp_path / "talk.wav"
    sf.write(path, tone_conversation(TURNS), SAMPLE_RATE)
    return path


def test_diarize_prints_the_known_turns_as_json(repository: Path, talk: Path) -> None:
    result = CliRunner().invoke(app, ["diarize", str(talk), "-r", str(repository), "-m", "diarization-tone"])

    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["version"] == "1.0.0"
    got = [bound for turn in body["turns"] for bound in (turn["start"], turn["end"])]
    assert got == pytest.approx(
        [bound for start, end, _ in expected_turns(TURNS) for bound in (start, end)], abs=0.1
    )
    assert [turn["speaker"] for turn in body["turns"]] == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_00"]


def test_diarize_writes_rttm_and_a_timeline_png(repository: Path, talk: Path, tmp_path: Path) -> None:
    rttm, png = tmp_path / "out.rttm", tmp_path / "timeline.png"
    arguments = ["diarize", str(talk), "-r", str(repository), "-m", "diarization-tone", "--format", "rttm"]
    result = CliRunner().invoke(app, [*arguments, "-o", str(rttm), "--plot", str(png)])

    assert result.exit_code == 0, result.output
    assert rttm.read_text().splitlines()[0].split()[:5] == ["SPEAKER", "talk", "1", "0.000", "2.000"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_diarize_errors_are_one_line(repository: Path, tmp_path: Path) -> None:
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("not audio")
    for arguments, words in [
        (["-m", "missing-model"], "no READY version"),
        (["-m", "diarization-tone", "--version", "2"], "no READY version"),
    ]:
        result = CliRunner().invoke(app, ["diarize", str(not_audio), "-r", str(repository), *arguments])
        assert result.exit_code == 1
        assert words in result.output
    result = CliRunner().invoke(
        app, ["diarize", str(not_audio), "-r", str(repository), "-m", "diarization-tone"]
    )
    assert result.exit_code == 1
    assert "unsupported" in result.output


def test_models_lists_versions_and_flags_a_corrupted_file(repository: Path) -> None:
    publish_tone_model(repository, "diarization-tone", "1.1.0")
    model_file = repository / "diarization-tone" / "1.1.0" / "model.onnx"
    model_file.write_bytes(model_file.read_bytes() + b"x")

    result = CliRunner().invoke(app, ["models", "-r", str(repository)])

    assert result.exit_code == 0, result.output
    assert "rejected" in result.output
    assert "diarization-tone 1.1.0: " in result.output
    assert "sha256" in result.output
