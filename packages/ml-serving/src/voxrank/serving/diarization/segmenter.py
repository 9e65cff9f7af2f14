"""What the pipeline needs from a segmentation model (ONNX Runtime session or torch module alike)."""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Segmenter(Protocol):
    """Maps windows `[B, samples]` float32 to activity `[B, F, K]` in [0, 1] and embeddings `[B, K, D]`.

    Frame i of a window is centred at `(i + 0.5) * samples / F`; embeddings are L2-normalised.
    """

    window_samples: int

    def __call__(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...
