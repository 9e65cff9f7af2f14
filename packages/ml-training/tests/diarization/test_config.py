from pathlib import Path

import pytest

from voxrank.training.diarization.config import ConfigError, load_config, parse_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs" / "diarization"


def test_every_shipped_config_is_valid() -> None:
    paths = sorted(CONFIGS.glob("*.toml"))
    assert paths
    for path in paths:
        assert load_config(path).name == path.stem


def test_unknown_keys_are_rejected_at_any_depth(tiny_config) -> None:
    with pytest.raises(ConfigError, match="colour"):
        parse_config({**tiny_config, "colour": "red"})
    with pytest.raises(ConfigError, match=r"training\.stpes"):
        parse_config({**tiny_config, "training": {"stpes": 3}})
    with pytest.raises(ConfigError, match="invalid fastcnn config"):
        parse_config({**tiny_config, "model_config": {"chanels": 3}})
    with pytest.raises(ConfigError, match="offset"):
        parse_config({**tiny_config, "pipeline": {"onset": 0.3, "offset": 0.6}})


def test_shared_data_placeholder_and_bad_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("VOXRANK_SHARED_DATA", "/data/here")
    text = (CONFIGS / "acceptance-fastcnn.toml").read_text()
    (tmp_path / "c.toml").write_text(text)
    assert load_config(tmp_path / "c.toml").data.speaker_folders == [
        Path("/data/here/librispeech-utterances")
    ]
    (tmp_path / "broken.toml").write_text("name = [")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(tmp_path / "broken.toml")
    with pytest.raises(ConfigError, match="no such config"):
        load_config(tmp_path / "absent.toml")
