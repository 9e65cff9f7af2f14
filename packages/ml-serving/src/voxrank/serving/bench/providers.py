"""Which execution providers a benchmark can use, and sessions built the way the server builds them.

Sessions come from the serving runtime (`SessionRunner`), so a benchmark measures the code that
serves: the provider chain in strict mode (an accelerator that does not load is an error, not a
silent CPU fallback), thread settings and IO binding.
"""

from __future__ import annotations

from pathlib import Path

import onnxruntime as ort

from voxrank.serving.runtime.providers import PROVIDER_NAMES, ProviderChain, ProviderError
from voxrank.serving.runtime.session import SessionConfig, SessionRunner

GPU_PROVIDERS = ("cuda", "tensorrt")
# TensorRT builds an engine per input shape, which takes seconds to minutes: keep them between runs.
TENSORRT_CACHE = Path.home() / ".cache" / "voxrank" / "tensorrt"
# What each provider falls back to for the nodes it cannot run (TensorRT hands unsupported ones to CUDA).
CHAINS = {"tensorrt": ["tensorrt", "cuda", "cpu"], "cuda": ["cuda", "cpu"], "cpu": ["cpu"]}

__all__ = ["GPU_PROVIDERS", "ProviderError", "available", "create_runner", "require_gpu"]


def available() -> list[str]:
    """Short names (cpu, cuda, tensorrt) of the providers this onnxruntime build offers."""
    offered = set(ort.get_available_providers())
    return [short for short, full in PROVIDER_NAMES.items() if full in offered]


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


def create_runner(
    model_path: Path, provider: str = "cpu", threads: int = 1, *, io_binding: bool = False, fp16: bool = False
) -> SessionRunner:
    """A serving session whose first provider must be `provider`; `fp16` lets TensorRT build fp16 engines."""
    if provider not in CHAINS:
        raise ProviderError(f"unknown provider {provider!r}; choose from {', '.join(CHAINS)}")
    if provider not in available():
        raise ProviderError(f"provider {provider!r} is not available; this build offers {available()}")
    if provider == "tensorrt":
        TENSORRT_CACHE.mkdir(parents=True, exist_ok=True)
    chain = ProviderChain.from_short_names(
        CHAINS[provider], strict=True, tensorrt_fp16=fp16, tensorrt_cache_dir=TENSORRT_CACHE
    )
    config = SessionConfig(
        chain=chain,
        intra_op_threads=threads,
        inter_op_threads=1,
        io_binding="always" if io_binding else "never",
    )
    runner = SessionRunner(model_path, config, name=model_path.stem)
    if runner.provider != provider:
        raise ProviderError(f"asked for {provider} but the session runs on {runner.provider}")
    return runner
