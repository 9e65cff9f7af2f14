"""ONNX Runtime sessions: provider chain, thread settings, IO binding, warm-up, the diarization segmenter."""

from voxrank.serving.runtime.providers import ProviderChain, ProviderError
from voxrank.serving.runtime.session import SessionConfig, SessionRunner

__all__ = ["ProviderChain", "ProviderError", "SessionConfig", "SessionRunner"]
