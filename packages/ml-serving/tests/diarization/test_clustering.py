import numpy as np
import pytest

from voxrank.serving.diarization import cluster_embeddings


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def two_speakers_and_an_outlier() -> np.ndarray:
    """Ten embeddings each of two speakers 60 degrees apart, then one orthogonal to both (index 20)."""
    rng = np.random.default_rng(0)
    first, second, odd = np.eye(3)
    second = 0.5 * first + np.sqrt(0.75) * second
    centres = [first] * 10 + [second] * 10 + [odd]
    return _unit(np.stack(centres) + 0.02 * rng.standard_normal((21, 3)))


def test_an_outlier_takes_a_speakers_place_when_every_cluster_counts(two_speakers_and_an_outlier) -> None:
    labels = cluster_embeddings(two_speakers_and_an_outlier, 0.3, num_clusters=2)
    assert set(labels[:20]) == {0} and labels[20] == 1


def test_small_clusters_join_the_nearest_speaker(two_speakers_and_an_outlier) -> None:
    for labels in (
        cluster_embeddings(two_speakers_and_an_outlier, 0.3, num_clusters=2, min_cluster_size=3),
        cluster_embeddings(two_speakers_and_an_outlier, 0.3, min_cluster_size=3),
    ):
        assert set(labels[:10]) == {0} and set(labels[10:20]) == {1}
        assert labels[20] in (0, 1)


def test_a_requested_count_wins_over_the_cluster_size(two_speakers_and_an_outlier) -> None:
    # 21 embeddings cannot make three clusters of eight.
    labels = cluster_embeddings(two_speakers_and_an_outlier, 0.3, num_clusters=3, min_cluster_size=8)
    assert list(np.unique(labels[:10])) == [0] and list(np.unique(labels[10:20])) == [1] and labels[20] == 2


def test_every_cluster_counts_when_none_is_large_enough(two_speakers_and_an_outlier) -> None:
    labels = cluster_embeddings(two_speakers_and_an_outlier, 0.3, min_cluster_size=50)
    assert len(np.unique(labels)) == 3
