from __future__ import annotations

import numpy as np
import pytest


def unit_vectors(count: int, dimension: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((count, dimension)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def catalog_vectors() -> tuple[list[str], np.ndarray]:
    return [f"item{n:05d}" for n in range(2000)], unit_vectors(2000, 768, seed=1)
