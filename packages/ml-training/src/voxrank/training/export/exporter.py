"""The one export pipeline: checkpoint -> ONNX (fp32 | fp16 | int8) -> validation -> manifest -> publish."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Literal

import numpy as np
import onnx

from voxrank.serving.bench.measure import MeasureSettings, measure
from voxrank.serving.repository import (
    Golden,
    Manifest,
    ModelRepository,
    ModelVersion,
    Precision,
    Provenance,
    TensorData,
    TensorSpec,
    parse_version,
    sha256_file,
)
from voxrank.serving.runtime import ProviderChain, SessionConfig, SessionRunner
from voxrank.training.export.calibration import load_calibration
from voxrank.training.export.config import (
    DEFAULT_OPSET,
    GOLDEN_TOLERANCE,
    ExportConfig,
    Feeds,
    Runner,
    export_config_class,
)
from voxrank.training.export.errors import ExportValidationError, UnsupportedPrecisionError
from voxrank.training.export.onnx_export import (
    export_to_onnx,
    nodes_of_modules,
    optimize_offline,
    torch_runner,
)
from voxrank.training.export.precision import PRECISIONS, to_fp16, to_int8
from voxrank.training.export.validation import ValidationReport, validate

Step = Callable[[str], None]
"""Reports the step an export is on (the CLI shows it with rich)."""

LATENCY_SETTINGS = MeasureSettings(
    warmup_iterations=5, warmup_s=0.2, window_iterations=30, window_s=0.3, budget_s=6.0
)


@dataclass(frozen=True)
class ExportRequest:
    """What `voxrank-train export` was asked to do."""

    model: str
    checkpoint: Path
    precision: str
    version: str
    repository: Path
    opset: int = DEFAULT_OPSET
    calibration_data: Path | None = None
    name: str | None = None
    data_dir: Path | None = None


class Exporter:
    """Exports one checkpoint in any precision; the torch reference metrics are measured once."""

    def __init__(self, config: ExportConfig, opset: int = DEFAULT_OPSET, step: Step | None = None) -> None:
        self.config = config
        self.opset = opset
        self.step = step or (lambda _: None)
        self.reference = torch_runner(config.module, config)
        self.metric = config.task_metric()
        self._reference_metrics: dict[str, float] | None = None
        self._fp32: bytes | None = None
        self._float_nodes: list[str] = []

    def reference_metrics(self) -> dict[str, float] | None:
        if self.metric is not None and self._reference_metrics is None:
            self.step(f"measuring {self.metric.name} of the torch model")
            self._reference_metrics = self.metric.measure(self.reference)
        return self._reference_metrics

    def export(
        self,
        precision: str,
        version: str,
        repository: ModelRepository,
        *,
        name: str | None = None,
        calibration_data: Path | None = None,
    ) -> ModelVersion:
        """Export, validate and publish `version`; raises before publishing anything on any failure."""
        checked = check_precision(precision)
        parse_version(version)
        name = name or self.config.name_for(checked)
        repository.check_can_publish(name, version)
        calibration = load_calibration(calibration_data, self.config) if calibration_data else None
        with tempfile.TemporaryDirectory(prefix="voxrank-export-") as work:
            model_path, report = self.build(checked, Path(work), calibration)
            manifest = self.describe(model_path, report, checked, name, version)
            self.step(f"publishing {name} {version}")
            return repository.publish(model_path, manifest)

    def build(
        self, precision: Precision, work: Path, calibration: list[Feeds] | None
    ) -> tuple[Path, ValidationReport]:
        """The ONNX file of `precision` in `work`, checked by the ONNX checker, and its validation."""
        model_path = work / "model.fp32.onnx"
        model_path.write_bytes(self._optimized_fp32(work))
        if precision == "fp16":
            self.step("converting to fp16")
            model_path = to_fp16(
                model_path, work / "model.fp16.onnx", self.config.fp32_ops, self._float_nodes
            )
        elif precision == "int8":
            self.step(f"quantising to int8 ({self.config.quantization})")
            model_path = to_int8(
                model_path, work / "model.int8.onnx", self.config, calibration, self._float_nodes
            )
        self.step("validating against torch")
        return model_path, self._validate(model_path, precision)

    def _optimized_fp32(self, work: Path) -> bytes:
        """The exported, checked and optimised fp32 graph; every precision starts from the same one."""
        if self._fp32 is None:
            self.step("exporting to ONNX (dynamo exporter)")
            exported = export_to_onnx(self.config.module, self.config, work / "exported.onnx", self.opset)
            self._float_nodes = nodes_of_modules(exported, self.config.float_modules)
            self.step("optimising the graph (ONNX Runtime, offline)")
            self._fp32 = optimize_offline(exported, work / "optimized.onnx").read_bytes()
        return self._fp32

    def _validate(self, model_path: Path, precision: Precision) -> ValidationReport:
        candidate = serving_runner(model_path)
        report = validate(
            model_path,
            config=self.config,
            precision=precision,
            candidate=candidate,
            reference=self.reference,
            metric=self.metric,
            reference_metrics=self.reference_metrics(),
        )
        if report.failures:
            raise ExportValidationError(self.config.family, precision, report.failures)
        return report

    def describe(
        self, model_path: Path, report: ValidationReport, precision: Precision, name: str, version: str
    ) -> Manifest:
        """The manifest: signature, figures measured here, provenance and the golden sample."""
        self.step("measuring ONNX Runtime CPU latency")
        runner = serving_runner(model_path)
        latency_feeds = self.config.latency_inputs()
        latency = measure(lambda: runner(latency_feeds), LATENCY_SETTINGS).latency
        checkpoint = self.config.checkpoint
        return Manifest(
            name=name,
            version=version,
            task=self.config.task,
            contract_major=self.config.contract_major,
            precision=precision,
            inputs=graph_signature(model_path, "input"),
            outputs=graph_signature(model_path, "output"),
            preprocessing=self.config.preprocessing(),
            postprocessing=self.config.postprocessing(),
            metrics={
                **report.metrics,
                "ort_cpu_latency_ms": latency.p50_ms,
                "ort_cpu_latency_p99_ms": latency.p99_ms,
            },
            parity=report.parity,
            sha256=sha256_file(model_path),
            size_bytes=model_path.stat().st_size,
            provenance=Provenance(
                exporter="voxrank-train export",
                opset=self.opset,
                versions={package: _version(package) for package in _PACKAGES},
                checkpoint=str(checkpoint.path),
                checkpoint_sha256=checkpoint.sha256,
                training_step=checkpoint.step,
            ),
            golden=self._golden(runner, precision),
        )

    def _golden(self, runner: Runner, precision: Precision) -> Golden:
        feeds = self.config.golden_inputs()
        outputs = runner(feeds)
        return Golden(
            inputs={name: TensorData.from_array(array) for name, array in feeds.items()},
            outputs={name: TensorData.from_array(np.asarray(array)) for name, array in outputs.items()},
            atol=GOLDEN_TOLERANCE[precision],
        )


_PACKAGES = ("voxrank-ml-training", "torch", "onnx", "onnxruntime", "onnxscript")


def check_precision(precision: str) -> Precision:
    if precision not in PRECISIONS:
        raise UnsupportedPrecisionError(
            f"precision '{precision}' is not supported; choose one of {', '.join(PRECISIONS)}"
        )
    return precision


def serving_runner(model_path: Path) -> SessionRunner:
    """The model on serving's own session wrapper, on one CPU thread ("test what you ship")."""
    chain = ProviderChain.from_short_names(["cpu"])
    return SessionRunner(model_path, SessionConfig(chain, intra_op_threads=1, inter_op_threads=1))


def graph_signature(model_path: Path, kind: Literal["input", "output"]) -> list[TensorSpec]:
    """The graph's inputs or outputs as the manifest declares them: dynamic axes by name, others by size."""
    graph = onnx.load(model_path, load_external_data=False).graph
    values = graph.input if kind == "input" else graph.output
    return [
        TensorSpec(
            name=value.name,
            dtype=str(onnx.helper.tensor_dtype_to_np_dtype(value.type.tensor_type.elem_type)),  # type: ignore[arg-type]
            shape=[dim.dim_param or dim.dim_value for dim in value.type.tensor_type.shape.dim],
        )
        for value in values
    ]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def export_model(request: ExportRequest, step: Step | None = None) -> ModelVersion:
    """Run one `voxrank-train export` request end to end; cheap refusals come before any work."""
    precision = check_precision(request.precision)
    parse_version(request.version)
    config_class = export_config_class(request.model)
    repository = ModelRepository(request.repository)
    repository.check_can_publish(request.name or config_class.name_for(precision), request.version)
    config = config_class(request.checkpoint, request.data_dir)
    return Exporter(config, request.opset, step).export(
        precision, request.version, repository, name=request.name, calibration_data=request.calibration_data
    )
