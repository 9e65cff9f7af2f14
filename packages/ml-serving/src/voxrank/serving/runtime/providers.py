"""The execution-provider chain: what was asked, what this installation has, and what actually loaded.

ONNX Runtime falls back to the CPU silently when an accelerator cannot start (a missing CUDA library, an
unsupported GPU), so a GPU deployment could serve at CPU speed without anyone noticing. Strict mode
turns that into a startup failure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import onnxruntime as ort

log = logging.getLogger(__name__)

PROVIDER_NAMES = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
GPU_PROVIDERS = frozenset({"TensorrtExecutionProvider", "CUDAExecutionProvider"})


class ProviderError(RuntimeError):
    """A requested execution provider is not installed or did not load (strict mode)."""


@dataclass(frozen=True)
class ProviderChain:
    """Providers in order of preference with their options; `strict` refuses any silent fallback."""

    names: tuple[str, ...]
    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    strict: bool = False

    @classmethod
    def from_short_names(
        cls,
        short_names: Sequence[str],
        *,
        strict: bool = False,
        device_id: int = 0,
        tensorrt_fp16: bool = False,
        tensorrt_cache_dir: Path | None = None,
    ) -> ProviderChain:
        unknown = [name for name in short_names if name not in PROVIDER_NAMES]
        if unknown:
            raise ProviderError(f"unknown providers {unknown}; choose from {sorted(PROVIDER_NAMES)}")
        names = tuple(dict.fromkeys(PROVIDER_NAMES[name] for name in short_names))
        tensorrt: dict[str, Any] = {"device_id": device_id, "trt_fp16_enable": tensorrt_fp16}
        if tensorrt_cache_dir is not None:
            tensorrt |= {"trt_engine_cache_enable": True, "trt_engine_cache_path": str(tensorrt_cache_dir)}
        options = {
            "TensorrtExecutionProvider": tensorrt,
            "CUDAExecutionProvider": {"device_id": device_id},
        }
        return cls(
            names=names, options={name: options[name] for name in names if name in options}, strict=strict
        )

    def available(self) -> list[str]:
        """The requested providers this installation offers; raises in strict mode when one is missing."""
        installed = set(ort.get_available_providers())
        missing = [name for name in self.names if name not in installed]
        if missing:
            message = (
                f"providers {missing} are not in onnxruntime {ort.__version__} (it has {sorted(installed)})"
            )
            if self.strict:
                raise ProviderError(message)
            log.warning("%s; continuing with the rest of the chain", message)
        usable = [name for name in self.names if name in installed]
        if not usable:
            raise ProviderError(f"none of the providers {list(self.names)} is available")
        return usable

    def for_session(self) -> tuple[list[str], list[dict[str, Any]]]:
        """Arguments `providers` and `provider_options` for `ort.InferenceSession`."""
        usable = self.available()
        return usable, [self.options.get(name, {}) for name in usable]

    def check_loaded(self, session: ort.InferenceSession, model: str) -> list[str]:
        """Compare the session's providers with the request; a GPU one that did not load fails strict mode."""
        requested, _ = self.for_session()
        loaded = list(session.get_providers())
        dropped = [name for name in requested if name not in loaded]
        if dropped:
            message = f"{model}: providers {dropped} did not load (session runs on {loaded})"
            if self.strict and any(name in GPU_PROVIDERS for name in dropped):
                raise ProviderError(message)
            log.warning(message)
        return loaded


def primary_provider(loaded: Sequence[str]) -> str:
    """Short name of the provider that runs most of the graph: the first one that loaded."""
    by_long_name = {long: short for short, long in PROVIDER_NAMES.items()}
    return by_long_name.get(loaded[0], loaded[0]) if loaded else "none"
