"""Typed export errors: each says what was wrong with the request; nothing is published after one."""

from __future__ import annotations


class ExportError(Exception):
    """Base of every export error."""


class UnknownModelError(ExportError, LookupError):
    """No export config is registered under that model name."""


class UnsupportedPrecisionError(ExportError, ValueError):
    """A precision other than fp32, fp16 or int8."""


class CheckpointError(ExportError, ValueError):
    """The checkpoint is unreadable, not a voxrank checkpoint, or was trained for another model."""


class CalibrationDataError(ExportError, ValueError):
    """Calibration data that is missing, unreadable or does not fit the model's inputs."""


class ExportValidationError(ExportError):
    """The exported model failed validation; `failures` lists every check that failed."""

    def __init__(self, model: str, precision: str, failures: list[str]) -> None:
        self.failures = failures
        listed = "\n".join(f"  - {failure}" for failure in failures)
        super().__init__(f"{model} ({precision}) failed validation, nothing was published:\n{listed}")
