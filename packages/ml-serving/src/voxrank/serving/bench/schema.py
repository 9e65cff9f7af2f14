"""The one result schema every benchmark mode writes (JSON), and that docs/results/ files follow.

Field names carry their unit as a suffix (`_ms`, `_per_s`, `_s`) so that tools which only read JSON
(tools/perf_report.py, tools/check_docs.py) can tell latencies, throughputs and durations apart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Mode = Literal["model", "reference", "pipeline", "http", "external"]
Status = Literal["ok", "skipped", "failed"]
ParameterValue = str | int | float | bool | None


class LatencyStats(BaseModel):
    """Latency percentiles over the samples of the stable measurement windows."""

    model_config = ConfigDict(extra="forbid")

    count: int = Field(ge=1)
    mean_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    quantiles_ms: list[float] = Field(
        default_factory=list, description="Latency at every percentile 0..100, for CDF plots."
    )


class Stability(BaseModel):
    """Per-window figures of a measurement, checked the way Triton's perf_analyzer does."""

    model_config = ConfigDict(extra="forbid")

    stable: bool
    tolerance: float
    windows: int
    window_p50_ms: list[float]
    window_throughput_per_s: list[float]


class Measurement(BaseModel):
    """One workload measured once: what ran (`parameters`) and how fast it was."""

    model_config = ConfigDict(extra="forbid")

    mode: Mode
    name: str
    parameters: dict[str, ParameterValue] = Field(default_factory=dict)
    status: Status = "ok"
    reason: str | None = None
    latency: LatencyStats | None = None
    throughput_per_s: float | None = None
    throughput_unit: str | None = None
    stability: Stability | None = None
    errors: int = 0
    figures: dict[str, float] = Field(
        default_factory=dict, description="Further figures of this workload, unit in the key's suffix."
    )

    def key(self) -> tuple[str, ...]:
        """What identifies the workload across engines and runs (everything but the engine)."""
        return (self.name, *(f"{k}={v}" for k, v in sorted(self.parameters.items()) if k != "engine"))


class Comparison(BaseModel):
    """A ratio between two measurements of the same run (how many times faster `baseline` is)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    subject: str
    baseline: str
    workload: str
    statistic: str
    subject_ms: float
    baseline_ms: float
    ratio: float = Field(description="baseline_ms / subject_ms: above 1 means the subject is faster.")


class Environment(BaseModel):
    """Where a run happened: enough to tell two result files' machines apart."""

    model_config = ConfigDict(extra="forbid")

    machine: str
    hostname_hash: str
    platform: str
    python: str
    cpu_model: str
    cpu_count_logical: int
    cpu_count_usable: int
    memory_gib: float | None
    load_average_1m: float | None = Field(
        default=None,
        description="System load (1 min) as the mode finished measuring: other work sharing the machine.",
    )
    gpu_name: str | None
    onnxruntime_providers: list[str]
    libraries: dict[str, str]


class BenchmarkReport(BaseModel):
    """One run (or one mode of a run): its environment, measurements and derived comparisons."""

    model_config = ConfigDict(extra="forbid")

    schema_version: Literal["voxrank-bench/1"] = "voxrank-bench/1"
    created_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    suite: str = "custom"
    environment: Environment
    measurements: list[Measurement] = Field(default_factory=list)
    comparisons: list[Comparison] = Field(default_factory=list)

    def write(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, path: Path) -> BenchmarkReport:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
