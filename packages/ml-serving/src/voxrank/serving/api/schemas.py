"""Response bodies of the HTTP API (they become the OpenAPI document's schemas)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Turn(BaseModel):
    start: float = Field(ge=0, description="Seconds from the start of the audio.")
    end: float = Field(ge=0, description="Seconds from the start of the audio.")
    speaker: str = Field(description="Speaker label, consistent within one response.")


class DiarizationTiming(BaseModel):
    queue_ms: float = Field(description="Time waiting for an inference slot.")
    inference_ms: float = Field(description="Decoding plus the diarization pipeline.")


class DiarizationResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "model": "diarization-fastcnn",
                    "version": "1.3.0",
                    "provider": "cpu",
                    "duration_s": 6.0,
                    "num_speakers": 2,
                    "turns": [
                        {"start": 0.0, "end": 2.0, "speaker": "SPEAKER_00"},
                        {"start": 2.0, "end": 4.0, "speaker": "SPEAKER_01"},
                        {"start": 4.0, "end": 6.0, "speaker": "SPEAKER_00"},
                    ],
                    "timing": {"queue_ms": 0.1, "inference_ms": 12.5},
                }
            ]
        }
    )

    model: str
    version: str
    provider: str = Field(description="Execution provider that ran the model (cpu, cuda, tensorrt).")
    duration_s: float = Field(description="Duration of the decoded audio.")
    num_speakers: int = Field(description="Distinct speakers in `turns`.")
    turns: list[Turn]
    timing: DiarizationTiming


class ReloadInfo(BaseModel):
    version: str
    outcome: Literal["loaded", "rejected"]
    at: float = Field(description="Unix time of the attempt.")
    seconds: float = Field(description="Time the load, validation and warm-up took.")
    error: str | None = Field(default=None, description="Why the version was rejected.")


class ModelSummary(BaseModel):
    name: str
    state: Literal["loading", "ready", "failed", "unavailable"]
    version: str | None = Field(default=None, description="Version serving now.")
    task: str | None = None
    provider: str | None = Field(
        default=None, description="Primary execution provider of the serving version."
    )
    last_reload: ReloadInfo | None = None


class ModelDetail(ModelSummary):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "name": "diarization-fastcnn",
                    "state": "ready",
                    "version": "1.3.0",
                    "task": "diarization",
                    "provider": "cpu",
                    "providers": ["CPUExecutionProvider"],
                    "spec": "latest",
                    "available_versions": ["1.2.0", "1.3.0"],
                    "draining_versions": [],
                    "rejected_versions": {"1.4.0": "model.onnx sha256 differs from the manifest"},
                    "in_flight": 0,
                    "last_reload": {"version": "1.3.0", "outcome": "loaded", "at": 1.8e9, "seconds": 0.4},
                }
            ]
        }
    )

    providers: list[str] = Field(default_factory=list, description="Providers the session loaded, in order.")
    spec: str = Field(description="Version spec this server follows.")
    available_versions: list[str] = Field(description="READY versions in the repository.")
    draining_versions: list[str] = Field(description="Old versions still finishing requests.")
    rejected_versions: dict[str, str] = Field(description="Versions that failed validation, with why.")
    in_flight: int = Field(description="Requests using the serving version now.")


class ModelList(BaseModel):
    models: list[ModelSummary]


class Health(BaseModel):
    status: Literal["ok", "unavailable"]
    detail: str | None = None
