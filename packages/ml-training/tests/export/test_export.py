"""A tiny trained model exported in every precision, validated against torch and published."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto

from voxrank.serving.repository import ModelRepository, verify
from voxrank.training.export import PARITY_TOLERANCE, Exporter, export_config_class


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, tiny_exporter: Exporter) -> ModelRepository:
    repository = ModelRepository(tmp_path_factory.mktemp("repository"))
    for precision in ("fp32", "fp16", "int8"):
        tiny_exporter.export(precision, "1.0.0", repository)
    return repository


def test_the_tiny_model_learned_something(trained: tuple[object, list[float]]) -> None:
    losses = trained[1]
    assert np.mean(losses[-10:]) < 0.6 * np.mean(losses[:10])


def test_every_precision_is_published_and_passes_the_servers_checks(published: ModelRepository) -> None:
    assert published.models() == [
        "diarization-tinyconv",
        "diarization-tinyconv-fp16",
        "diarization-tinyconv-int8",
    ]
    for name in published.models():
        version = published.resolve(name, "1.0.0")
        verify(version, golden=True)
        manifest = version.manifest
        assert manifest.parity.max_abs_diff <= PARITY_TOLERANCE[manifest.precision]
        assert len(manifest.parity.cases) == 3
        assert {"frame_error", "frame_error_torch", "frame_error_delta", "ort_cpu_latency_ms"} <= set(
            manifest.metrics
        )
        assert manifest.metrics["frame_error_delta"] <= 0.05
        assert manifest.metrics["ort_cpu_latency_ms"] > 0
        assert manifest.size_bytes == version.model_path.stat().st_size
        assert manifest.provenance.training_step == 40
        assert [(spec.name, spec.dtype, spec.shape) for spec in manifest.inputs] == [
            ("waveform", "float32", ["batch", "samples"])
        ]
        assert [(spec.name, spec.shape[:2]) for spec in manifest.outputs] == [
            ("activity", ["batch", "frames"]),
            ("embeddings", ["batch", 3]),
        ]


def test_fp32_matches_torch_within_1e_4(published: ModelRepository) -> None:
    assert published.resolve("diarization-tinyconv").manifest.parity.max_abs_diff <= 1e-4


def test_fp16_keeps_float32_io_and_overflow_prone_ops_in_float32(published: ModelRepository) -> None:
    model = onnx.load(published.resolve("diarization-tinyconv-fp16").model_path)
    io_types = {value.type.tensor_type.elem_type for value in [*model.graph.input, *model.graph.output]}
    assert io_types == {TensorProto.FLOAT}
    assert any(init.data_type == TensorProto.FLOAT16 for init in model.graph.initializer)
    float32_fed = _ops_fed_by_casts_to(model, TensorProto.FLOAT)
    assert {"Log", "ReduceMean"} <= float32_fed


def test_int8_of_a_convolutional_model_is_static_per_channel_qdq(published: ModelRepository) -> None:
    model = onnx.load(published.resolve("diarization-tinyconv-int8").model_path)
    ops = [node.op_type for node in model.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    initializers = {init.name: init for init in model.graph.initializer}
    conv_weight_scales = [
        initializers[node.input[1]]
        for node in model.graph.node
        if node.op_type == "DequantizeLinear"
        and initializers.get(node.input[0]) is not None
        and initializers[node.input[0]].data_type == TensorProto.INT8
    ]
    assert any(len(scale.dims) == 1 and scale.dims[0] > 1 for scale in conv_weight_scales), (
        "per-channel scales"
    )


def test_int8_of_a_linear_model_is_dynamic(tmp_path: Path, tiny_checkpoint: Path) -> None:
    repository = ModelRepository(tmp_path)
    exporter = Exporter(export_config_class("tinylinear")(_renamed(tiny_checkpoint, tmp_path, "tinylinear")))
    version = exporter.export("int8", "0.1.0", repository)
    ops = {node.op_type for node in onnx.load(version.model_path).graph.node}
    assert ops & {"DynamicQuantizeLinear", "MatMulInteger", "DynamicQuantizeMatMul"}
    assert "QuantizeLinear" not in ops


def _renamed(checkpoint: Path, folder: Path, family: str) -> Path:
    import torch

    raw = torch.load(checkpoint, weights_only=False)
    target = folder / f"{family}.pt"
    torch.save({**raw, "model": family}, target)
    return target


def _ops_fed_by_casts_to(model: onnx.ModelProto, elem_type: int) -> set[str]:
    cast_outputs = {
        node.output[0]
        for node in model.graph.node
        if node.op_type == "Cast" and any(a.name == "to" and a.i == elem_type for a in node.attribute)
    }
    return {node.op_type for node in model.graph.node if any(name in cast_outputs for name in node.input)}
