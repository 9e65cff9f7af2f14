"""One ONNX export for every model family and precision (fp32, fp16, int8), validated against torch
and the task metric before it is published into ml-serving's model repository."""

from voxrank.training.export.calibration import load_calibration
from voxrank.training.export.checkpoint import CheckpointInfo
from voxrank.training.export.config import (
    GOLDEN_TOLERANCE,
    PARITY_TOLERANCE,
    ExportConfig,
    Feeds,
    Runner,
    TaskMetric,
    TensorAxes,
    export_config_class,
    register_export_config,
    registered_families,
)
from voxrank.training.export.errors import (
    CalibrationDataError,
    CheckpointError,
    ExportError,
    ExportValidationError,
    UnknownModelError,
    UnsupportedPrecisionError,
)
from voxrank.training.export.exporter import Exporter, ExportRequest, export_model
from voxrank.training.export.precision import PRECISIONS

__all__ = [
    "GOLDEN_TOLERANCE",
    "PARITY_TOLERANCE",
    "PRECISIONS",
    "CalibrationDataError",
    "CheckpointError",
    "CheckpointInfo",
    "ExportConfig",
    "ExportError",
    "ExportRequest",
    "ExportValidationError",
    "Exporter",
    "Feeds",
    "Runner",
    "TaskMetric",
    "TensorAxes",
    "UnknownModelError",
    "UnsupportedPrecisionError",
    "export_config_class",
    "export_model",
    "load_calibration",
    "register_export_config",
    "registered_families",
]
