"""Serving configuration, read from `VOXRANK_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ProviderName = Literal["tensorrt", "cuda", "cpu"]


class ServingSettings(BaseSettings):
    """Everything `voxrank-serve serve` and `create_app` need; each field maps to `VOXRANK_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="VOXRANK_", extra="ignore")

    # Where models come from and which ones are served.
    model_repository: Path = Field(
        default=Path("model-repository"), description="Root of the model repository."
    )
    models: list[str] = Field(
        default_factory=list, description="Model names to serve; empty serves every model in the repository."
    )
    model_versions: dict[str, str] = Field(
        default_factory=dict,
        description='Version spec per model name ("latest", "1.2.3" or a range like ">=1.2,<2").',
    )
    required_models: list[str] = Field(
        default_factory=list, description="Models that must be loaded before /readyz reports ready."
    )
    diarization_model: str = Field(default="diarization-fastcnn", description="Model that /v1/diarize uses.")

    # ONNX Runtime.
    providers: list[ProviderName] = Field(
        default_factory=lambda: list[ProviderName](["cpu"]),
        description="Execution provider chain, most preferred first.",
    )
    strict_providers: bool = Field(
        default=False, description="Fail startup when a requested accelerator is missing or did not load."
    )
    device_id: int = Field(default=0, description="GPU index for the CUDA and TensorRT providers.")
    tensorrt_fp16: bool = Field(default=False, description="Let TensorRT build fp16 engines.")
    tensorrt_cache_dir: Path | None = Field(default=None, description="Where TensorRT keeps built engines.")
    # One thread per inference: the server runs max_concurrency requests at once, and a per-request ORT
    # thread pool on top of that oversubscribes the cores (measured: half the req/s at 8 in flight, 2 cores).
    intra_op_threads: int = Field(
        default=1, ge=0, description="Threads inside one operator; 0 lets ORT choose (all cores)."
    )
    inter_op_threads: int = Field(default=0, ge=0, description="Threads across operators; 0 lets ORT choose.")
    # numpy's BLAS (the exact vector store, the towers' pre/post-processing) otherwise starts a thread per
    # core for every request, and concurrent requests then fight over the cores (measured: P99 at 16 in
    # flight 267 -> 85 ms on 2 cores).
    blas_threads: int = Field(
        default=1, ge=0, description="Threads of numpy's BLAS in the server; 0 leaves BLAS's own default."
    )
    io_binding: Literal["auto", "always", "never"] = Field(
        default="auto", description="IO binding: auto uses it when the session runs on a GPU provider."
    )
    warmup_runs: int = Field(default=2, ge=0, description="Inference runs on each version before it serves.")

    # Hot reload.
    reload: Literal["watch", "poll", "off"] = Field(
        default="watch", description="How new versions are noticed: watch (file events), poll, off."
    )
    poll_interval_s: float = Field(default=2.0, gt=0, description="Polling period when reload=poll.")
    reload_debounce_ms: int = Field(
        default=300, ge=1, description="Quiet time after repository changes before a reload starts."
    )
    drain_timeout_s: float = Field(
        default=30.0, ge=0, description="Longest wait for an old version's requests."
    )

    # Hardening.
    api_keys: list[SecretStr] = Field(
        default_factory=list, description="Accepted API keys; empty turns authentication off."
    )
    api_key_header: str = Field(default="X-API-Key", description="Header that carries the API key.")
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024, gt=0, description="Largest request body accepted."
    )
    max_audio_duration_s: float = Field(default=600.0, gt=0, description="Longest audio accepted.")
    max_concurrency: int = Field(default=2, ge=1, description="Requests running inference at once.")
    max_queue: int = Field(default=16, ge=0, description="Requests waiting for a slot before 503.")
    retry_after_s: int = Field(default=1, ge=1, description="Retry-After seconds sent with 503.")
    request_timeout_s: float = Field(default=60.0, gt=0, description="Longest queue wait plus inference.")
    shutdown_delay_s: float = Field(
        default=0.0,
        ge=0,
        description="After SIGTERM, how long /readyz reports 503 while requests are still served.",
    )
    shutdown_timeout_s: float = Field(
        default=30.0, ge=0, description="Longest wait for in-flight requests on exit."
    )

    # Process.
    host: str = Field(default="127.0.0.1", description="Interface to bind.")
    port: int = Field(default=8000, ge=0, le=65535, description="Port to bind.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Log level.")
    log_json: bool = Field(default=True, description="Structured JSON logs (one object per line).")

    @model_validator(mode="after")
    def _speaker_models_are_served(self) -> ServingSettings:
        if self.models:
            missing = sorted(set(self.required_models) - set(self.models))
            if missing:
                raise ValueError(f"required_models {missing} are not in models {self.models}")
        return self

    @property
    def auth_enabled(self) -> bool:
        return bool(self.api_keys)

    def version_spec(self, name: str) -> str:
        return self.model_versions.get(name, "latest")
