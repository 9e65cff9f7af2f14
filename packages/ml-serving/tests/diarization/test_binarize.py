import numpy as np

from voxrank.serving.diarization.binarize import active_regions, hysteresis, smooth_regions, top_speakers


def test_hysteresis_holds_between_thresholds_along_the_last_axis() -> None:
    activity = np.array([[0.1, 0.6, 0.45, 0.45, 0.3, 0.45, 0.7], [0.45, 0.45, 0.9, 0.1, 0.1, 0.1, 0.1]])
    expected = [
        [False, True, True, True, False, False, True],
        [False, False, True, False, False, False, False],
    ]
    assert hysteresis(activity, onset=0.5, offset=0.4).tolist() == expected


def test_top_speakers_keeps_the_counted_best_per_frame() -> None:
    scores = np.array([[0.9, 0.2, 0.5], [0.1, 0.3, 0.2], [0.4, 0.6, 0.5]])
    mask = top_speakers(scores, np.array([1, 0, 2]))
    assert mask.tolist() == [[True, False, False], [False, False, False], [False, True, True]]


def test_regions_and_smoothing() -> None:
    starts, ends = active_regions(np.array([0, 1, 1, 0, 1], dtype=bool))
    assert (starts.tolist(), ends.tolist()) == ([1, 4], [3, 5])
    starts, ends = smooth_regions(np.array([0.0, 1.05, 3.0]), np.array([1.0, 2.0, 3.1]), 0.2, 0.1)
    assert (starts.tolist(), ends.tolist()) == ([0.0], [2.0])
