"""Stand-in ONNX models that follow the diarization contract, built with onnx.helper for the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

HOP = 320
SPEAKERS = 3
EMBEDDING_DIM = 8


def build_standin_segmentation(path: Path, seed: int = 0) -> Path:
    """waveform [B, S] -> activity [B, S/HOP, K] in (0, 1), embeddings [B, K, D] L2-normalised."""
    rng = np.random.default_rng(seed)
    frame_weights = numpy_helper.from_array(
        rng.standard_normal((HOP, SPEAKERS)).astype(np.float32), "frame_w"
    )
    embed_weights = numpy_helper.from_array(
        rng.standard_normal((HOP, SPEAKERS * EMBEDDING_DIM)).astype(np.float32), "embed_w"
    )
    frames_shape = numpy_helper.from_array(np.array([0, -1, HOP], dtype=np.int64), "frames_shape")
    embed_shape = numpy_helper.from_array(
        np.array([0, SPEAKERS, EMBEDDING_DIM], dtype=np.int64), "embed_shape"
    )
    nodes = [
        helper.make_node("Reshape", ["waveform", "frames_shape"], ["frames"]),
        helper.make_node("MatMul", ["frames", "frame_w"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["activity"]),
        helper.make_node("ReduceMean", ["frames"], ["pooled"], axes=[1], keepdims=0),
        helper.make_node("MatMul", ["pooled", "embed_w"], ["flat"]),
        helper.make_node("Reshape", ["flat", "embed_shape"], ["raw"]),
        helper.make_node("LpNormalization", ["raw"], ["embeddings"], axis=-1, p=2),
    ]
    graph = helper.make_graph(
        nodes,
        "standin_segmentation",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [
            helper.make_tensor_value_info("activity", TensorProto.FLOAT, ["batch", "frames", SPEAKERS]),
            helper.make_tensor_value_info(
                "embeddings", TensorProto.FLOAT, ["batch", SPEAKERS, EMBEDDING_DIM]
            ),
        ],
        initializer=[frame_weights, embed_weights, frames_shape, embed_shape],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def build_two_input_model(path: Path) -> Path:
    """A model that is not a waveform model (two inputs), which the model mode must skip."""
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["sum"])],
        "two_inputs",
        [
            helper.make_tensor_value_info("a", TensorProto.FLOAT, ["batch", 4]),
            helper.make_tensor_value_info("b", TensorProto.FLOAT, ["batch", 4]),
        ],
        [helper.make_tensor_value_info("sum", TensorProto.FLOAT, ["batch", 4])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def standin_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_standin_segmentation(tmp_path_factory.mktemp("models") / "standin.onnx")


@pytest.fixture(scope="session")
def two_input_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_two_input_model(tmp_path_factory.mktemp("models") / "two_inputs.onnx")
