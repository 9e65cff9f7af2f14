"""ONNX Runtime sessions for benchmarking: an explicit provider, no silent fallback, optional IO binding."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort

PROVIDERS = {
    "cpu": "CPUExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
}
GPU_PROVIDERS = ("cuda", "tensorrt")


class ProviderError(RuntimeError):
    """An execution provider that was asked for is not available or did not load."""


def available() -> list[str]:
    """Short names (cpu, cuda, tensorrt) of the providers this onnxruntime build offers."""
    offered = set(ort.get_available_providers())
    return [short for short, full in PROVIDERS.items() if full in offered]


def require_gpu(allow_cpu: bool) -> list[str]:
    """The GPU providers to benchmark; without any, fail with why unless `allow_cpu` says CPU will do."""
    gpu = [name for name in GPU_PROVIDERS if name in available()]
    if gpu:
        return gpu
    if allow_cpu:
        return ["cpu"]
    raise ProviderError(
        "no CUDA execution provider in this onnxruntime build "
        f"(available: {', '.join(ort.get_available_providers())}). Install the GPU build on a machine "
        "with an NVIDIA driver (pip install 'voxrank-ml-serving[gpu]'), or pass --allow-cpu to run the "
        "GPU suite on CPU."
    )


def _provider_chain(provider: str, fp16: bool) -> list[str | tuple[str, dict[str, Any]]]:
    if provider == "tensorrt":
        options = {"trt_fp16_enable": fp16, "trt_engine_cache_enable": True}
        return [(PROVIDERS["tensorrt"], options), PROVIDERS["cuda"], PROVIDERS["cpu"]]
    if provider == "cuda":
        return [PROVIDERS["cuda"], PROVIDERS["cpu"]]
    return [PROVIDERS["cpu"]]


def create_session(model_path: Path, provider: str = "cpu", threads: int = 1, fp16: bool = False):
    """A session whose first provider is `provider`; ORT would otherwise fall back to CPU silently."""
    if provider not in PROVIDERS:
        raise ProviderError(f"unknown provider {provider!r}; choose from {', '.join(PROVIDERS)}")
    if provider not in available():
        raise ProviderError(f"provider {provider!r} is not available; this build offers {available()}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(str(model_path), options, providers=_provider_chain(provider, fp16))
    loaded = session.get_providers()[0]
    if loaded != PROVIDERS[provider]:
        raise ProviderError(f"asked for {PROVIDERS[provider]} but the session loaded {loaded}")
    return session


def bind(session: ort.InferenceSession, feeds: Mapping[str, np.ndarray]) -> ort.IOBinding:
    """Inputs copied once to the session's device, outputs left there."""
    device = "cpu" if session.get_providers()[0] == PROVIDERS["cpu"] else "cuda"
    binding = session.io_binding()
    for name, array in feeds.items():
        binding.bind_ortvalue_input(name, ort.OrtValue.ortvalue_from_numpy(array, device, 0))
    for output in session.get_outputs():
        binding.bind_output(output.name, device)
    return binding


def runner(
    session: ort.InferenceSession, feeds: Mapping[str, np.ndarray], io_binding: bool
) -> Callable[[], object]:
    """A no-argument call that runs one inference on `feeds`.

    With IO binding the timing covers inference only, without host-device copies: what a GPU server
    that keeps tensors on the device pays.
    """
    if not io_binding:
        inputs = dict(feeds)
        return lambda: session.run(None, inputs)
    binding = bind(session, feeds)
    return lambda: session.run_with_iobinding(binding)
