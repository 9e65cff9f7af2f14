"""Small real ONNX models built with onnx.helper, and manifests whose golden output ONNX Runtime recorded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from voxrank.serving.repository import (
    Golden,
    Manifest,
    Parity,
    Provenance,
    TensorData,
    TensorSpec,
    sha256_file,
)

HOP = 160
SPEAKERS = 3
DIM = 4


def build_segmenter(path: Path, gain: float = 1.0) -> Path:
    """waveform [batch, samples] -> activity [batch, frames, 3], embeddings [batch, 3, 4]."""
    initializers = [
        numpy_helper.from_array(np.array([0, -1, HOP], dtype=np.int64), "frame_shape"),
        numpy_helper.from_array(np.array([1.0, 0.5, -1.0], dtype=np.float32) * gain, "speaker_gain"),
        numpy_helper.from_array(np.arange(SPEAKERS * DIM, dtype=np.float32).reshape(SPEAKERS, DIM), "basis"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "last_axis"),
    ]
    nodes = [
        helper.make_node("Reshape", ["waveform", "frame_shape"], ["frames"]),
        helper.make_node("ReduceMean", ["frames"], ["energy"], axes=[2], keepdims=1),
        helper.make_node("Mul", ["energy", "speaker_gain"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["activity"]),
        helper.make_node("ReduceMean", ["waveform"], ["level"], axes=[1], keepdims=1),
        helper.make_node("Unsqueeze", ["level", "last_axis"], ["level3"]),
        helper.make_node("Mul", ["level3", "basis"], ["raw_embeddings"]),
        helper.make_node("LpNormalization", ["raw_embeddings"], ["embeddings"], axis=-1, p=2),
    ]
    graph = helper.make_graph(
        nodes,
        "tiny-segmenter",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [
            helper.make_tensor_value_info("activity", TensorProto.FLOAT, ["batch", "frames", SPEAKERS]),
            helper.make_tensor_value_info("embeddings", TensorProto.FLOAT, ["batch", SPEAKERS, DIM]),
        ],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


def golden_for(model_path: Path, waveform: np.ndarray) -> Golden:
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    activity, embeddings = session.run(["activity", "embeddings"], {"waveform": waveform})
    return Golden(
        inputs={"waveform": TensorData.from_array(waveform)},
        outputs={
            "activity": TensorData.from_array(activity),
            "embeddings": TensorData.from_array(embeddings),
        },
        atol=1e-5,
    )


def manifest_for(
    model_path: Path, name: str = "diarization-tiny", version: str = "1.0.0", **changes: object
) -> Manifest:
    waveform = np.random.default_rng(0).standard_normal((2, 4 * HOP)).astype(np.float32)
    fields: dict[str, object] = {
        "name": name,
        "version": version,
        "task": "diarization",
        "contract_major": 1,
        "precision": "fp32",
        "inputs": [TensorSpec(name="waveform", dtype="float32", shape=["batch", "samples"])],
        "outputs": [
            TensorSpec(name="activity", dtype="float32", shape=["batch", "frames", SPEAKERS]),
            TensorSpec(name="embeddings", dtype="float32", shape=["batch", SPEAKERS, DIM]),
        ],
        "preprocessing": {"sample_rate": 16000, "window_samples": 80000},
        "postprocessing": {"onset": 0.5},
        "parity": Parity(tolerance=1e-4, max_abs_diff=0.0),
        "sha256": sha256_file(model_path),
        "size_bytes": model_path.stat().st_size,
        "provenance": Provenance(exporter="tests", opset=17),
        "golden": golden_for(model_path, waveform),
    }
    fields.update(changes)
    return Manifest.model_validate(fields)


@pytest.fixture
def segmenter(tmp_path: Path) -> Path:
    folder = tmp_path / "built"
    folder.mkdir()
    return build_segmenter(folder / "model.onnx")


@pytest.fixture
def make_manifest() -> Callable[..., Manifest]:
    return manifest_for


@pytest.fixture
def make_segmenter() -> Callable[..., Path]:
    return build_segmenter
