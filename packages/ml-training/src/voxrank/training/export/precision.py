"""fp16 and int8 variants of an optimised fp32 ONNX model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import onnx
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)
from onnxruntime.quantization.shape_inference import quant_pre_process
from onnxruntime.transformers.float16 import DEFAULT_OP_BLOCK_LIST, convert_float_to_float16
from onnxruntime.transformers.onnx_model import OnnxModel

from voxrank.serving.repository import Precision
from voxrank.training.export.config import ExportConfig, Feeds

PRECISIONS: tuple[Precision, ...] = ("fp32", "fp16", "int8")


def to_fp16(source: Path, target: Path, fp32_ops: tuple[str, ...], fp32_nodes: list[str]) -> Path:
    """Weights and arithmetic in float16, with float32 inputs/outputs; `fp32_ops` and `fp32_nodes` stay
    in float32."""
    # Stale float32 value_info would contradict the converted types; the converter infers them afresh.
    model = OnnxModel(
        convert_float_to_float16(
            _without_value_info(source),
            keep_io_types=True,
            op_block_list=[*DEFAULT_OP_BLOCK_LIST, *fp32_ops],
            node_block_list=fp32_nodes,
        )
    )
    _drop_repeated_casts(model.model.graph)
    # The converter appends the casts of kept float32 inputs after their consumers; ONNX wants them before.
    model.topological_sort()
    onnx.save(model.model, target)
    onnx.checker.check_model(str(target), full_check=True)
    return target


def _drop_repeated_casts(graph: onnx.GraphProto) -> None:
    """The converter inserts one Cast per blocked consumer of a value, all with the same output name;
    one of them is enough (and ONNX requires each name to be produced once)."""
    produced: set[str] = set()
    repeated = []
    for node in graph.node:
        if node.op_type == "Cast" and node.output[0] in produced:
            repeated.append(node)
        produced.update(node.output)
    for node in repeated:
        graph.node.remove(node)


def to_int8(
    source: Path,
    target: Path,
    config: ExportConfig,
    calibration: list[Feeds] | None,
    float_nodes: list[str],
) -> Path:
    """Static per-channel QDQ with `calibration` for convolutional models, dynamic otherwise;
    `float_nodes` stay in float."""
    prepared = target.with_name(f"{target.stem}.prepared.onnx")
    # The exporter records value_info for initializers too; dynamic quantisation rewrites Gemm(transB=1)
    # as MatMul by transposing the weight in place, so a recorded weight shape would contradict it and
    # fail the quantiser's shape inference. ONNX shape inference below rebuilds what is needed.
    onnx.save(_without_value_info(source), prepared)
    # ONNX shape inference first, as onnxruntime.quantization recommends (the graph is already optimised;
    # ORT's symbolic shape inference cannot follow the dynamic Expand of L2 normalisation).
    quant_pre_process(str(prepared), str(prepared), skip_optimization=True, skip_symbolic_shape=True)
    if config.quantization == "static":
        quantize_static(
            str(prepared),
            str(target),
            _CalibrationReader(calibration or config.calibration_inputs()),
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            activation_type=QuantType.QInt8,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=[*float_nodes, *activation_products(prepared)],
            extra_options={"ActivationSymmetric": False, "WeightSymmetric": True},
        )
    else:
        # 7-bit weights (reduce_range): without VNNI (AVX2 only), ONNX Runtime's x86 u8 x s8 kernels add
        # pairs of products in int16, which 8-bit weights can saturate, so one model file would answer
        # differently on different CPUs. On an AVX2 machine the small test transformer's embeddings
        # differed from torch by 0.165 with 8-bit weights and by 0.005 with 7-bit ones.
        quantize_dynamic(
            str(prepared),
            str(target),
            op_types_to_quantize=["MatMul", "Gemm", "LSTM", "GRU", "Attention"],
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            nodes_to_exclude=float_nodes,
        )
    prepared.unlink()
    onnx.checker.check_model(str(target), full_check=True)
    return target


def _without_value_info(source: Path) -> onnx.ModelProto:
    """The model at `source` with its recorded intermediate shapes and types dropped (they are optional)."""
    model = onnx.load(source)
    del model.graph.value_info[:]
    return model


def activation_products(model_path: Path) -> list[str]:
    """MatMuls of two activations (attention scores, activity-weighted pooling): their range grows with
    the input length, so ranges calibrated on one window length clip longer inputs; they stay in float."""
    graph = onnx.load(model_path, load_external_data=False).graph
    constants = {init.name for init in graph.initializer}
    constants |= {output for node in graph.node if node.op_type == "Constant" for output in node.output}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and not any(name in constants for name in node.input)
    ]


class _CalibrationReader(CalibrationDataReader):
    """Hands onnxruntime.quantization the calibration feeds one by one."""

    def __init__(self, feeds: list[Feeds]) -> None:
        self._feeds: Iterator[Feeds] = iter(feeds)

    def get_next(self) -> Feeds | None:
        return next(self._feeds, None)
