"""The diarization pipeline's `Segmenter`, backed by an ONNX Runtime session (contract 2: waveform in,
per-frame activity and per-speaker embeddings out)."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort

from voxrank.serving.runtime.session import SessionRunner

WAVEFORM_INPUT = "waveform"
ACTIVITY_OUTPUT = "activity"
EMBEDDINGS_OUTPUT = "embeddings"


class OnnxSegmenter:
    """Feeds windows `[B, samples]` to the model; `run_options` lets a caller cancel a run in progress."""

    def __init__(
        self, runner: SessionRunner, window_samples: int, run_options: ort.RunOptions | None = None
    ) -> None:
        self.runner = runner
        self.window_samples = window_samples
        self.run_options = run_options

    def __call__(self, windows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        outputs = self.runner({WAVEFORM_INPUT: np.asarray(windows, dtype=np.float32)}, self.run_options)
        return outputs[ACTIVITY_OUTPUT], outputs[EMBEDDINGS_OUTPUT]
