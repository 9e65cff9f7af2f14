import numpy as np
import pytest

from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig, PipelineInputError

TURNS = [(0.5, 6.0, 0), (5.0, 11.0, 1), (12.0, 16.0, 0), (16.5, 19.5, 2)]


def _by_speaker(turns):
    found: dict[str, list[tuple[float, float]]] = {}
    for turn in turns:
        found.setdefault(turn.speaker, []).append((turn.start, turn.end))
    return found


def test_pipeline_finds_every_turn_and_links_speakers_across_windows(segmenter, tone_conversation) -> None:
    pipeline = DiarizationPipeline(segmenter, PipelineConfig(step_s=2.0, batch_size=2))
    result = pipeline(tone_conversation(TURNS, 20.0))
    assert segmenter.calls > 2  # batches rotate slots, so linking is the clustering's work
    assert result.speakers == ["SPEAKER_00", "SPEAKER_01", "SPEAKER_02"]
    found = _by_speaker(result.turns)
    expected = {
        "SPEAKER_00": [(0.5, 6.0), (12.0, 16.0)],
        "SPEAKER_01": [(5.0, 11.0)],
        "SPEAKER_02": [(16.5, 19.5)],
    }
    for speaker, regions in expected.items():
        assert len(found[speaker]) == len(regions)
        for (start, end), (want_start, want_end) in zip(found[speaker], regions, strict=True):
            assert abs(start - want_start) <= 0.1 and abs(end - want_end) <= 0.1


def test_speaker_count_bounds_are_obeyed(segmenter, tone_conversation) -> None:
    pipeline = DiarizationPipeline(segmenter)
    waveform = tone_conversation(TURNS, 20.0)
    assert len(pipeline(waveform, num_speakers=2).speakers) == 2
    assert len(pipeline(waveform, max_speakers=1).speakers) == 1
    assert len(pipeline(waveform, min_speakers=3).speakers) == 3


def test_silence_gives_no_turns_and_short_audio_still_works(segmenter, tone_conversation) -> None:
    pipeline = DiarizationPipeline(segmenter)
    assert pipeline(np.zeros(3 * 16_000, dtype=np.float32)).turns == []
    short = pipeline(tone_conversation([(0.2, 1.5, 1)], 2.0))
    assert len(short.turns) == 1 and short.turns[0].end <= 2.0


def test_json_and_rttm_outputs(segmenter, tone_conversation) -> None:
    result = DiarizationPipeline(segmenter)(tone_conversation(TURNS, 20.0))
    payload = result.to_json()
    assert payload["duration"] == 20.0
    assert len(payload["turns"]) == len(result.turns)
    lines = result.to_rttm("meeting").splitlines()
    assert len(lines) == len(result.turns)
    assert lines[0].startswith("SPEAKER meeting 1 0.")


@pytest.mark.parametrize(
    ("waveform", "kwargs", "message"),
    [
        (np.zeros(0, dtype=np.float32), {}, "empty"),
        (np.zeros((2, 100), dtype=np.float32), {}, "1-D"),
        (np.array([0.0, np.nan], dtype=np.float32), {}, "NaN"),
        (np.zeros(100, dtype=np.float32), {"num_speakers": 0}, "at least 1"),
        (np.zeros(100, dtype=np.float32), {"min_speakers": 3, "max_speakers": 2}, "exceeds"),
        (np.zeros(100, dtype=np.float32), {"num_speakers": 2, "max_speakers": 2}, "either"),
    ],
)
def test_bad_input_is_refused(segmenter, waveform, kwargs, message: str) -> None:
    with pytest.raises(PipelineInputError, match=message):
        DiarizationPipeline(segmenter)(waveform, **kwargs)


def test_config_mismatch_and_manifest_values(segmenter) -> None:
    with pytest.raises(PipelineInputError, match="differs"):
        DiarizationPipeline(segmenter, PipelineConfig(window_s=4.0, step_s=1.0))
    manifest = {
        "preprocessing": {"window_s": 5.0, "sample_rate": 16000},
        "postprocessing": {"onset": 0.7, "offset": 0.3, "frames": 100},
    }
    config = PipelineConfig.from_manifest(manifest, step_s=1.0)
    assert (config.onset, config.offset, config.step_s, config.window_samples) == (0.7, 0.3, 1.0, 80_000)
    with pytest.raises(ValueError, match="offset"):
        PipelineConfig(onset=0.3, offset=0.5)
