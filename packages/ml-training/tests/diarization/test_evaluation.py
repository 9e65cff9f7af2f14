import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig, Turn
from voxrank.training.cli import app
from voxrank.training.diarization.baselines import mfcc_clustering, oracle_one_speaker, speech_regions
from voxrank.training.diarization.checkpoint import save_checkpoint
from voxrank.training.diarization.evaluation import EvaluationItem, oracle_linking, score
from voxrank.training.diarization.models import build_model

REFERENCE = [Turn(0.0, 10.0, "A"), Turn(10.0, 20.0, "B")]
HYPOTHESIS = [Turn(0.0, 12.0, "x"), Turn(12.0, 18.0, "y"), Turn(21.0, 22.0, "x")]


def _item(turns=REFERENCE, seconds: float = 22.0) -> EvaluationItem:
    return EvaluationItem(
        "meeting", np.zeros(int(seconds * 16_000), dtype=np.float32), turns, [(0.0, seconds)]
    )


def test_der_of_a_hand_built_case() -> None:
    report = score([_item()], {"meeting": HYPOTHESIS})
    exact = report["overall"]["collar_0"]
    # 2 s of B given to A's label, 2 s of B missed, 1 s of false alarm, over 20 s of speech.
    assert exact == pytest.approx(
        {"missed": 0.1, "false": 0.05, "confusion": 0.1, "der": 0.25, "scored_s": 20.0}
    )
    collar = report["overall"]["collar_0.5"]
    # +-0.25 s around the boundaries at 0, 10 and 20 s are not scored: 19 s remain; 1.75 s confusion,
    # 1.75 s missed (18..19.75); the false alarm at 21..22 s lies outside every collar.
    assert collar == pytest.approx(
        {"missed": 1.75 / 19, "false": 1 / 19, "confusion": 1.75 / 19, "der": 4.5 / 19, "scored_s": 19.0}
    )
    assert report["files"]["meeting"]["collar_0"] == report["overall"]["collar_0"]


class SignSegmenter:
    """Slot 0 hears positive samples, slot 1 negative ones; every embedding is the same vector, so
    nothing but the reference can link the slots of one window to those of another."""

    window_samples = 2 * 16_000

    def __call__(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        frames = windows.reshape(len(windows), 20, -1).mean(axis=2)
        activity = np.stack([frames > 0.25, frames < -0.25, np.zeros_like(frames, bool)], axis=2)
        embeddings = np.ones((len(windows), 3, 4), dtype=np.float32) / 2
        return activity.astype(np.float32), embeddings


def test_oracle_linking_leaves_only_the_segmentation_error() -> None:
    turns = [Turn(0.0, 3.0, "a"), Turn(3.0, 6.0, "b"), Turn(6.0, 8.0, "a")]
    waveform = np.repeat(np.array([0.5, -0.5, 0.5], dtype=np.float32), [48_000, 48_000, 32_000])
    item = EvaluationItem("signs", waveform, turns, [(0.0, 8.0)])
    config = PipelineConfig(window_s=2.0, step_s=1.0, onset=0.5, offset=0.4, min_duration_off=0.0)
    pipeline = DiarizationPipeline(SignSegmenter(), config)
    linked = oracle_linking(pipeline, item)
    assert [edge for turn in linked for edge in (turn.start, turn.end)] == pytest.approx([0, 3, 3, 6, 6, 8])
    assert linked[0].speaker == linked[2].speaker != linked[1].speaker
    assert score([item], {"signs": linked})["overall"]["collar_0"]["der"] == pytest.approx(0.0, abs=1e-9)


def test_baselines() -> None:
    overlapping = [Turn(0.0, 4.0, "A"), Turn(3.0, 6.0, "B"), Turn(8.0, 9.0, "A")]
    assert speech_regions(overlapping) == [(0.0, 6.0), (8.0, 9.0)]
    one = score([_item()], {"meeting": oracle_one_speaker(_item())})["overall"]["collar_0"]
    assert one["confusion"] == pytest.approx(0.5) and one["missed"] == 0 and one["false"] == 0
    rng = np.random.default_rng(0)
    time = np.arange(20 * 16_000) / 16_000
    tones = np.where(time < 10, np.sin(2 * np.pi * 300 * time), np.sign(np.sin(2 * np.pi * 1700 * time)))
    waveform = (0.3 * tones + 0.01 * rng.standard_normal(len(time))).astype(np.float32)
    item = EvaluationItem("tones", waveform, REFERENCE, [(0.0, 20.0)])
    clustered = score([item], {"tones": mfcc_clustering(item, num_speakers=2)})["overall"]["collar_0"]
    assert clustered["der"] < 0.05, "two very different sounds are told apart"


def test_evaluate_command_writes_json_and_markdown(tmp_path: Path, corpus_writer) -> None:
    rng = np.random.default_rng(1)
    audio = (0.1 * rng.standard_normal(16_000 * 12)).astype(np.float32)
    root = corpus_writer(
        tmp_path / "corpus", "dev", {"m1": (audio, [Turn(1.0, 5.0, "a"), Turn(6.0, 11.0, "b")])}
    )
    config = {"channels": 16, "dilations": [1]}
    model = build_model("fastcnn", config)
    checkpoint = tmp_path / "best.pt"
    save_checkpoint(
        checkpoint,
        {
            "model": "fastcnn",
            "model_config": config,
            "state_dict": model.state_dict(),
            "step": 7,
            "pipeline": {"onset": 0.3, "offset": 0.2},
        },
    )
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        [
            "evaluate",
            "diarization",
            "--checkpoint",
            str(checkpoint),
            "--data",
            str(root),
            "--split",
            "dev",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((out / "evaluation.json").read_text())
    assert len(report["systems"]) == 4 and report["pipeline"]["onset"] == 0.3
    assert "fastcnn, oracle linking (diagnostic)" in report["systems"]
    assert "baseline: oracle speech, one speaker" in (out / "evaluation.md").read_text()
    assert "collar 0.5" in result.output


def test_cli_errors_are_one_clear_line(tmp_path: Path, tiny_config) -> None:
    (tmp_path / "bad.toml").write_text('name = "x"\noutput_dir = "y"\nmodel = "fastcnn"\nsurprise = 1\n')
    result = CliRunner().invoke(app, ["diarization", "--config", str(tmp_path / "bad.toml")])
    assert result.exit_code == 2 and "surprise" in result.output
    (tmp_path / "other.pt").write_bytes(b"junk")
    result = CliRunner().invoke(
        app, ["evaluate", "diarization", "--checkpoint", str(tmp_path / "other.pt"), "--data", str(tmp_path)]
    )
    assert result.exit_code == 2 and "not a readable torch checkpoint" in result.output
