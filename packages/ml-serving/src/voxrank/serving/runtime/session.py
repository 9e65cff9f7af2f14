"""One ONNX Runtime session with the provider chain checked, thread settings applied and IO binding on GPU."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import onnxruntime as ort

from voxrank.serving.runtime.providers import GPU_PROVIDERS, ProviderChain, primary_provider

log = logging.getLogger(__name__)

IoBindingMode = Literal["auto", "always", "never"]


@dataclass(frozen=True)
class SessionConfig:
    chain: ProviderChain
    intra_op_threads: int = 0
    inter_op_threads: int = 0
    io_binding: IoBindingMode = "auto"


class SessionRunner:
    """Runs feeds through a model; `runner(feeds)` returns every output by name as numpy arrays."""

    def __init__(self, model_path: Path, config: SessionConfig, name: str = "") -> None:
        self.name = name or model_path.parent.name
        options = ort.SessionOptions()
        options.intra_op_num_threads = config.intra_op_threads
        options.inter_op_num_threads = config.inter_op_threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        providers, provider_options = config.chain.for_session()
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=providers, provider_options=provider_options
        )
        self.providers = config.chain.check_loaded(self._session, self.name)
        self.provider = primary_provider(self.providers)
        on_gpu = self.providers[0] in GPU_PROVIDERS
        self.uses_io_binding = config.io_binding == "always" or (config.io_binding == "auto" and on_gpu)
        self._output_device = "cuda" if on_gpu else "cpu"
        self._device_id = int(config.chain.options.get(self.providers[0], {}).get("device_id", 0))
        self.input_names = [node.name for node in self._session.get_inputs()]
        self.output_names = [node.name for node in self._session.get_outputs()]

    def __call__(
        self, feeds: Mapping[str, np.ndarray], run_options: ort.RunOptions | None = None
    ) -> dict[str, np.ndarray]:
        if self.uses_io_binding:
            return self._run_bound(feeds, run_options)
        values = self._session.run(self.output_names, dict(feeds), run_options)
        return dict(zip(self.output_names, values, strict=True))

    def _run_bound(
        self, feeds: Mapping[str, np.ndarray], run_options: ort.RunOptions | None
    ) -> dict[str, np.ndarray]:
        # Outputs stay on the device until copied once; inputs are copied once without a staging buffer.
        binding = self._session.io_binding()
        for name, value in feeds.items():
            binding.bind_cpu_input(name, np.ascontiguousarray(value))
        for name in self.output_names:
            binding.bind_output(name, self._output_device, self._device_id)
        self._session.run_with_iobinding(binding, run_options)
        return dict(zip(self.output_names, binding.copy_outputs_to_cpu(), strict=True))

    def input_shapes(self) -> dict[str, list[int | str | None]]:
        return {node.name: list(node.shape) for node in self._session.get_inputs()}

    def warm_up(self, feeds: Mapping[str, np.ndarray], runs: int) -> None:
        """Run `feeds` a few times so allocations, kernels and TensorRT engines exist before traffic."""
        for _ in range(runs):
            self(feeds)
