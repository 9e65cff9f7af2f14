"""The manifest of every model version: what the model is, expects, returns and was measured at.

Readers ignore fields they do not know, so adding an optional field is a compatible change; renaming or
removing one changes `manifest_format`.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from voxrank.serving.repository.errors import InvalidManifestError

MANIFEST_FORMAT = "voxrank-manifest/1"
SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$"
MODEL_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"

Task = Literal["diarization", "two-tower-user", "two-tower-item"]
Precision = Literal["fp32", "fp16", "int8"]
TensorDType = Literal["float32", "float16", "float64", "int64", "int32", "int8", "uint8", "bool"]


class TensorSpec(BaseModel):
    """One graph input or output: its name, element type and shape (strings name dynamic axes)."""

    name: str = Field(min_length=1)
    dtype: TensorDType
    shape: list[int | str] = Field(
        description="Fixed sizes as integers, dynamic axes by their symbolic name."
    )


class TensorData(BaseModel):
    """A small tensor stored exactly: raw little-endian bytes in base64 with its dtype and shape."""

    dtype: TensorDType
    shape: list[int]
    data: str = Field(description="base64 of the C-ordered little-endian bytes")

    @classmethod
    def from_array(cls, array: np.ndarray) -> TensorData:
        little_endian = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        return cls(
            dtype=str(array.dtype),  # type: ignore[arg-type]
            shape=list(array.shape),
            data=base64.b64encode(little_endian.tobytes()).decode("ascii"),
        )

    def to_array(self) -> np.ndarray:
        raw = base64.b64decode(self.data)
        dtype = np.dtype(self.dtype).newbyteorder("<")
        return np.frombuffer(raw, dtype=dtype).reshape(self.shape).astype(np.dtype(self.dtype))

    @model_validator(mode="after")
    def _data_matches_shape(self) -> TensorData:
        expected = int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize
        if len(base64.b64decode(self.data)) != expected:
            raise ValueError(f"tensor data holds a different number of bytes than {self.dtype}{self.shape}")
        return self


class Golden(BaseModel):
    """A small input with the output the exported model gave for it, and the tolerance a runtime must meet."""

    inputs: dict[str, TensorData]
    outputs: dict[str, TensorData]
    atol: float = Field(gt=0)
    rtol: float = Field(default=0.0, ge=0)


class ParityCase(BaseModel):
    """One comparison of the ONNX model against the training framework at given input shapes."""

    input_shapes: dict[str, list[int]]
    max_abs_diff: dict[str, float]


class Parity(BaseModel):
    """How closely the ONNX model reproduces the reference (the torch model it was exported from)."""

    reference: str = "torch"
    tolerance: float = Field(gt=0, description="Largest absolute difference validation accepted.")
    max_abs_diff: float = Field(ge=0, description="Largest absolute difference over every case and output.")
    cases: list[ParityCase] = Field(default_factory=list)


class Provenance(BaseModel):
    """Where the model came from: tool versions, opset and the checkpoint it was exported from."""

    exporter: str
    opset: int = Field(ge=1)
    versions: dict[str, str] = Field(default_factory=dict)
    checkpoint: str | None = None
    checkpoint_sha256: str | None = None
    training_step: int | None = None


class Manifest(BaseModel):
    """manifest.json of one model version; see docs/ONNX_CONTRACT.md."""

    model_config = ConfigDict(extra="ignore")

    manifest_format: Literal["voxrank-manifest/1"] = "voxrank-manifest/1"
    name: str = Field(pattern=MODEL_NAME_PATTERN)
    version: str = Field(
        pattern=SEMVER_PATTERN,
        description="X.Y.Z: major = contract break, minor = retrain, patch = re-export",
    )
    task: Task
    contract_major: int = Field(ge=1, description="Major version of the task's input/output contract.")
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    precision: Precision
    inputs: list[TensorSpec] = Field(min_length=1)
    outputs: list[TensorSpec] = Field(min_length=1)
    preprocessing: dict[str, Any] = Field(default_factory=dict)
    postprocessing: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, float] = Field(
        default_factory=dict, description="Task metrics and runtime figures measured at export."
    )
    parity: Parity
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="sha256 of model.onnx")
    size_bytes: int = Field(ge=1, description="Size of model.onnx in bytes.")
    provenance: Provenance
    golden: Golden

    @property
    def semver(self) -> Version:
        return Version(self.version)

    @model_validator(mode="after")
    def _golden_matches_signature(self) -> Manifest:
        input_names = {spec.name for spec in self.inputs}
        output_names = {spec.name for spec in self.outputs}
        if set(self.golden.inputs) != input_names:
            raise ValueError(
                f"golden inputs {sorted(self.golden.inputs)} differ from inputs {sorted(input_names)}"
            )
        if not self.golden.outputs or not set(self.golden.outputs) <= output_names:
            raise ValueError(
                f"golden outputs {sorted(self.golden.outputs)} are not among outputs {sorted(output_names)}"
            )
        return self

    def to_json(self) -> str:
        return self.model_dump_json(indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = "manifest") -> Manifest:
        try:
            return cls.model_validate(json.loads(text))
        except json.JSONDecodeError as error:
            raise InvalidManifestError(f"{source} is not valid JSON: {error}") from error
        except ValidationError as error:
            raise InvalidManifestError(f"{source} does not follow the manifest schema:\n{error}") from error

    @classmethod
    def read(cls, path: Path) -> Manifest:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as error:
            raise InvalidManifestError(f"{path} is missing") from error
        return cls.from_json(text, source=str(path))
