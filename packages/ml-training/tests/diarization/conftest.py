"""Tiny configurations and corpora the diarization tests build for themselves."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf

from voxrank.serving.diarization import Turn, write_rttm, write_uem

REPOSITORY = Path(__file__).resolve().parents[4]


@pytest.fixture
def shared_data() -> Path:
    """`../shared/data` beside the repository (or $VOXRANK_SHARED_DATA); tests needing it skip without it."""
    path = Path(os.environ.get("VOXRANK_SHARED_DATA") or REPOSITORY.parent / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"shared data not found at {path}")
    return path


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread() -> None:
    """Tiny models gain nothing from threads, and on a busy 2-core machine spinning threads cost a lot."""
    import torch

    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def espeak_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("espeak")


@pytest.fixture
def tiny_config(tmp_path: Path, espeak_cache: Path) -> dict[str, Any]:
    """A fastcnn of a few thousand weights on eSpeak NG speakers: a training step takes milliseconds."""
    return {
        "name": "tiny",
        "output_dir": str(tmp_path / "run"),
        "seed": 3,
        "model": "fastcnn",
        "model_config": {
            "channels": 16,
            "dilations": [1, 2],
            "bands": 16,
            "embedding_dim": 16,
            "embedding_hidden": 16,
        },
        "data": {
            "window_s": 2.0,
            "synthetic_speakers": 6,
            "synthetic_utterances": 2,
            "synthetic_cache": str(espeak_cache),
            "heldout_speakers": 2,
        },
        "training": {
            "steps": 6,
            "batch_size": 4,
            "warmup_steps": 1,
            "checkpoint_every": 3,
            "eval_every": 3,
            "threads": 1,
        },
        "validation": {"conversations": 1, "duration_s": 6.0, "thresholds": [0.5]},
        "pipeline": {"step_s": 1.0},
    }


@pytest.fixture
def corpus_writer():
    return write_corpus


def write_corpus(
    root: Path, split: str, recordings: dict[str, tuple[np.ndarray, list[Turn]]], rate: int = 16_000
) -> Path:
    """A corpus in the standard layout: `<uri>.wav`, `<split>.lst`, `<split>.rttm`, `<split>.uem`."""
    root.mkdir(parents=True, exist_ok=True)
    for uri, (samples, _) in recordings.items():
        sf.write(root / f"{uri}.wav", samples, rate, subtype="PCM_16")
    (root / f"{split}.lst").write_text("".join(f"{uri}\n" for uri in recordings))
    write_rttm({uri: turns for uri, (_, turns) in recordings.items()}, root / f"{split}.rttm")
    write_uem(
        {uri: [(0.0, len(samples) / rate)] for uri, (samples, _) in recordings.items()}, root / f"{split}.uem"
    )
    return root
