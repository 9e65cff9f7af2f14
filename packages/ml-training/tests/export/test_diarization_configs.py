"""The real diarization families through the whole export: small fastcnn / transformer configurations,
a small corpus in the standard layout made here, the DER gate run through ml-serving's pipeline."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from voxrank.serving.diarization import PipelineConfig
from voxrank.serving.repository import ModelRepository, verify
from voxrank.training.diarization.checkpoint import save_checkpoint
from voxrank.training.diarization.models import build_model
from voxrank.training.export import CheckpointError, Exporter, ExportError, export_config_class

SMALL = {
    "fastcnn": {
        "channels": 16,
        "dilations": [1, 2],
        "bands": 16,
        "embedding_dim": 16,
        "embedding_hidden": 16,
    },
    "transformer": {
        "d_model": 16,
        "heads": 2,
        "layers": 1,
        "bands": 16,
        "embedding_dim": 16,
        "embedding_hidden": 16,
    },
}


def write_corpus(root: Path) -> Path:
    """Two 6 s two-speaker recordings per split: tones standing in for voices, RTTM/UEM/lists."""
    rng = np.random.default_rng(0)
    time = np.arange(6 * 16_000) / 16_000
    for split in ("train", "dev"):
        rttm, uris = [], []
        for index in range(2):
            uri = f"{split}{index}"
            first = 0.3 * np.sin(2 * np.pi * 220 * time) * (time < 3)
            second = 0.3 * np.sin(2 * np.pi * 660 * time) * (time >= 3)
            audio = first + second + 0.01 * rng.standard_normal(len(time))
            soundfile.write(root / f"{uri}.wav", audio.astype(np.float32), 16_000, subtype="PCM_16")
            rttm += [
                f"SPEAKER {uri} 1 0.000 3.000 <NA> <NA> A <NA> <NA>",
                f"SPEAKER {uri} 1 3.000 3.000 <NA> <NA> B <NA> <NA>",
            ]
            uris.append(uri)
        (root / f"{split}.lst").write_text("\n".join(uris) + "\n", encoding="utf-8")
        (root / f"{split}.rttm").write_text("\n".join(rttm) + "\n", encoding="utf-8")
        (root / f"{split}.uem").write_text(
            "".join(f"{uri} NA 0.000 6.000\n" for uri in uris), encoding="utf-8"
        )
    return root


def small_checkpoint(folder: Path, family: str) -> Path:
    torch.manual_seed(0)
    model = build_model(family, SMALL[family])
    path = folder / f"{family}.pt"
    save_checkpoint(
        path,
        {
            "model": family,
            "model_config": SMALL[family],
            "state_dict": model.state_dict(),
            "step": 0,
            "pipeline": PipelineConfig(window_s=2.0, step_s=1.0).model_dump(),
            "metrics": {},
        },
    )
    return path


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.mark.slow
@pytest.mark.parametrize(("family", "precision"), [("fastcnn", "fp16"), ("transformer", "int8")])
def test_a_diarization_family_exports_with_its_der_gate(
    tmp_path: Path, corpus: Path, family: str, precision: str
) -> None:
    config = export_config_class(family)(small_checkpoint(tmp_path, family), corpus)
    repository = ModelRepository(tmp_path / "repo")
    version = Exporter(config).export(precision, "1.0.0", repository)
    verify(version, golden=True)
    manifest = version.manifest
    assert manifest.name == f"diarization-{family}-{precision}"
    assert abs(manifest.metrics["der_delta"]) <= 0.5
    assert 0 <= manifest.metrics["der"] <= 200
    assert manifest.preprocessing["window_s"] == 2.0
    assert manifest.preprocessing["frames_per_window"] == 2 * 16_000 // 320
    assert PipelineConfig.from_manifest(manifest).window_samples == 32_000
    assert [spec.name for spec in manifest.outputs] == ["activity", "embeddings"]


def test_a_checkpoint_of_the_other_family_is_refused(tmp_path: Path, corpus: Path) -> None:
    with pytest.raises(CheckpointError, match=r"holds a 'transformer' model, not 'fastcnn'"):
        export_config_class("fastcnn")(small_checkpoint(tmp_path, "transformer"), corpus)


def test_a_data_folder_without_the_split_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    config = export_config_class("fastcnn")(small_checkpoint(tmp_path, "fastcnn"), tmp_path / "empty")
    with pytest.raises(ExportError, match=r"data folder .*empty: .*no file list for split 'dev'"):
        config.task_metric()


def test_calibration_windows_come_from_the_train_split(tmp_path: Path, corpus: Path) -> None:
    config = export_config_class("fastcnn")(small_checkpoint(tmp_path, "fastcnn"), corpus)
    batches = config.calibration_inputs()
    windows = np.concatenate([batch["waveform"] for batch in batches])
    # Two 6 s recordings, 2 s windows every 1 s: 5 windows each.
    assert windows.shape == (10, 32_000)
    assert windows.dtype == np.float32
    assert all(len(batch["waveform"]) <= 8 for batch in batches)
    assert np.std(windows) > 0.1


def test_without_data_the_der_gate_says_what_it_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VOXRANK_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.chdir(tmp_path)
    config = export_config_class("fastcnn")(small_checkpoint(tmp_path, "fastcnn"))
    with pytest.raises(ExportError, match=r"DER gate needs validation recordings: pass --data DIR"):
        config.task_metric()
    with pytest.raises(
        ExportError, match=r"needs calibration audio .*pass --data DIR, a corpus with a train split"
    ):
        config.calibration_inputs()
