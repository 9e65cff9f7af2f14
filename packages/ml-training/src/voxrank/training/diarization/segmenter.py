"""A torch model behind ml-serving's `Segmenter` protocol, so evaluation runs the serving pipeline."""

from __future__ import annotations

import numpy as np
import torch

from voxrank.training.diarization.models import SegmentationModel


class TorchSegmenter:
    def __init__(self, model: SegmentationModel, window_samples: int = 80_000) -> None:
        self.model = model.eval()
        self.window_samples = window_samples

    def __call__(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with torch.inference_mode():
            activity, embeddings = self.model(
                torch.from_numpy(np.ascontiguousarray(windows, dtype=np.float32))
            )
        return activity.numpy(), embeddings.numpy()
