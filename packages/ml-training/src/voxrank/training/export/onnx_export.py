"""torch -> ONNX with dynamic axes, the ONNX checker and ONNX Runtime's offline graph optimisation.

The dynamo exporter (`torch.onnx.export(..., dynamo=True)`) is used on purpose: the legacy TorchScript
exporter bakes the traced batch size into the reshapes of `nn.MultiheadAttention`, so an exported
transformer fails on any other batch size, while the dynamo exporter keeps batch and length symbolic
for convolutional and transformer models alike.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

from voxrank.training.export.config import DEFAULT_OPSET, ExportConfig, Runner, TensorAxes


def export_to_onnx(module: nn.Module, config: ExportConfig, path: Path, opset: int = DEFAULT_OPSET) -> Path:
    """Export `module` to `path` (one self-contained file) with the config's names and dynamic axes."""
    example = config.example_inputs()
    args = tuple(torch.from_numpy(example[spec.name]) for spec in config.inputs)
    dynamic_shapes = tuple(
        {axis: torch.export.Dim.DYNAMIC for axis in spec.dynamic_axes} for spec in config.inputs
    )
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the exporter's notes on torchvision ops and deprecations
        torch.onnx.export(
            module,
            args,
            str(path),
            input_names=[spec.name for spec in config.inputs],
            output_names=[spec.name for spec in config.outputs],
            dynamic_shapes=dynamic_shapes,
            opset_version=opset,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    model = onnx.load(path)
    _name_dynamic_axes(model.graph.input, config.inputs)
    _name_dynamic_axes(model.graph.output, config.outputs)
    onnx.save(model, path)
    onnx.checker.check_model(str(path), full_check=True)
    return path


def _name_dynamic_axes(values: list[onnx.ValueInfoProto], specs: tuple[TensorAxes, ...]) -> None:
    # The exporter names dynamic axes after its symbols (s0, (s1//160)); the contract names them.
    by_name = {spec.name: spec for spec in specs}
    for value in values:
        dims = value.type.tensor_type.shape.dim
        for axis, name in by_name[value.name].dynamic_axes.items():
            dims[axis].ClearField("dim_value")
            dims[axis].dim_param = name


def optimize_offline(source: Path, target: Path) -> Path:
    """ONNX Runtime's provider-independent (basic) graph optimisations, saved as a plain ONNX model.

    Extended and layout optimisations are left to the serving session: they emit fused operators for
    the provider at hand, and a file fused for the CPU would not run as well on CUDA or TensorRT.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    options.optimized_model_filepath = str(target)
    ort.InferenceSession(str(source), sess_options=options, providers=["CPUExecutionProvider"])
    onnx.checker.check_model(str(target), full_check=True)
    return target


def torch_runner(module: nn.Module, config: ExportConfig) -> Runner:
    """The torch module as a Runner (feeds by name in, outputs by name out), the parity reference."""

    def run(feeds: Mapping[str, np.ndarray], run_options: object = None) -> dict[str, np.ndarray]:
        args = tuple(torch.from_numpy(feeds[spec.name]) for spec in config.inputs)
        with torch.no_grad():
            outputs = module(*args)
        return {spec.name: tensor.numpy() for spec, tensor in zip(config.outputs, outputs, strict=True)}

    return run


def nodes_of_modules(model_path: Path, modules: tuple[str, ...]) -> list[str]:
    """Names of the graph nodes the dynamo exporter traced inside the top-level submodules `modules`."""
    if not modules:
        return []
    graph = onnx.load(model_path, load_external_data=False).graph
    return [node.name for node in graph.node if _top_module(node) in modules]


def _top_module(node: onnx.NodeProto) -> str | None:
    # The exporter records the module path of every node, e.g. "['', 'frontend', 'frontend.conv', 'conv1d']".
    scopes = next(
        (prop.value for prop in node.metadata_props if prop.key == "pkg.torch.onnx.name_scopes"), None
    )
    if scopes is None:
        return None
    parts = ast.literal_eval(scopes)
    return parts[1] if len(parts) > 2 else None
