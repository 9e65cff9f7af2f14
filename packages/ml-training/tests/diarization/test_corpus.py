from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from voxrank.serving.diarization import Turn
from voxrank.training.diarization.config import CorpusSplit
from voxrank.training.diarization.data.corpus import CorpusError, load_corpus


def _speech(seconds: float, seed: int = 0) -> np.ndarray:
    return (0.1 * np.random.default_rng(seed).standard_normal(int(seconds * 16_000))).astype(np.float32)


def test_reads_audio_turns_and_regions(tmp_path: Path, corpus_writer) -> None:
    turns = [Turn(0.5, 2.0, "ann"), Turn(1.5, 3.0, "bob")]
    root = corpus_writer(tmp_path / "c", "dev", {"m1": (_speech(4), turns), "m2": (_speech(3), [])})
    recordings = load_corpus(root, "dev")
    assert [r.uri for r in recordings] == ["m1", "m2"]
    assert recordings[0].turns == turns and recordings[0].speakers == ["ann", "bob"]
    assert recordings[0].uem == [(0.0, 4.0)] and recordings[1].duration == 3.0
    assert recordings[0].load().shape == (64_000,)


def test_missing_and_mismatched_files_are_named(tmp_path: Path, corpus_writer) -> None:
    root = corpus_writer(tmp_path / "c", "dev", {"m1": (_speech(4), [Turn(0.5, 2.0, "ann")])})
    with pytest.raises(CorpusError, match="no file list for split 'train'"):
        load_corpus(root, "train")
    (root / "dev.rttm").write_text(
        (root / "dev.rttm").read_text() + "SPEAKER ghost 1 0.0 1.0 <NA> <NA> x <NA> <NA>\n"
    )
    with pytest.raises(CorpusError, match=r"uris not in dev.lst: \['ghost'\]"):
        load_corpus(root, "dev")
    (root / "dev.rttm").write_text("SPEAKER m1 1 0.0 9.0 <NA> <NA> x <NA> <NA>\n")
    with pytest.raises(CorpusError, match=r"end at 9\.000 s but the audio lasts 4\.000 s"):
        load_corpus(root, "dev")
    (root / "m1.wav").unlink()
    with pytest.raises(CorpusError, match="no audio file for uri 'm1'"):
        load_corpus(root, "dev")


def test_wrong_rate_empty_and_silent_audio(tmp_path: Path, corpus_writer) -> None:
    root = corpus_writer(tmp_path / "rate", "dev", {"m1": (_speech(2), [])}, rate=8_000)
    with pytest.raises(CorpusError, match="sample rate 8000 Hz, expected 16000 Hz"):
        load_corpus(root, "dev")
    root = corpus_writer(tmp_path / "empty", "dev", {"m1": (_speech(2), [])})
    sf.write(root / "m1.wav", np.zeros(0, dtype=np.float32), 16_000)
    with pytest.raises(CorpusError, match="empty"):
        load_corpus(root, "dev")
    root = corpus_writer(
        tmp_path / "silent", "dev", {"m1": (np.zeros(32_000, dtype=np.float32), [Turn(0, 1, "a")])}
    )
    with pytest.raises(CorpusError, match="silent but its RTTM has 1 turns"):
        load_corpus(root, "dev")[0].load()


@pytest.mark.shared_data
def test_ami_debug_reads_as_documented(shared_data: Path) -> None:
    train, dev = (
        load_corpus(shared_data / "ami-debug", "train"),
        load_corpus(shared_data / "ami-debug", "dev"),
    )
    assert (len(train), len(dev)) == (10, 2)
    assert sum(len(r.turns) for r in train) == 77 and sum(len(r.turns) for r in dev) == 17
    assert len({s for r in train for s in r.speakers}) == 21
    assert all(r.duration == 30.0 for r in train + dev)


def test_a_split_narrowed_to_some_recordings_or_without_some(tmp_path: Path, corpus_writer) -> None:
    recordings = {uri: (_speech(2, seed), [Turn(0.2, 1.0, uri)]) for seed, uri in enumerate(["a", "b", "c"])}
    root = corpus_writer(tmp_path / "c", "train", recordings)
    assert [r.uri for r in CorpusSplit(root=root, split="train").recordings()] == ["a", "b", "c"]
    assert [r.uri for r in CorpusSplit(root=root, split="train", exclude=["b"]).recordings()] == ["a", "c"]
    assert [r.uri for r in CorpusSplit(root=root, split="train", uris=["c", "b"]).recordings()] == ["b", "c"]
    with pytest.raises(CorpusError, match=r"no recordings named \['zz'\]"):
        CorpusSplit(root=root, split="train", exclude=["zz"]).recordings()
