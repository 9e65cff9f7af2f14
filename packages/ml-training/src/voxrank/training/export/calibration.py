"""Calibration data for static int8 quantisation: an .npz file with one array per model input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from voxrank.training.export.config import ExportConfig, Feeds
from voxrank.training.export.errors import CalibrationDataError

CALIBRATION_BATCH = 8


def load_calibration(path: Path, config: ExportConfig) -> list[Feeds]:
    """Read `path` (`np.savez`: one array per input name, first axis = samples) and cut it into batches.

    Every array must have the rank, dtype kind and fixed axis sizes of the model's example input.
    """
    arrays = _read_npz(path)
    example = config.example_inputs()
    expected_names = sorted(example)
    if sorted(arrays) != expected_names:
        raise CalibrationDataError(
            f"{path} holds arrays {sorted(arrays)}, the model's inputs are {expected_names}"
        )
    counts = {name: len(array) for name, array in arrays.items()}
    if len(set(counts.values())) != 1 or 0 in counts.values():
        raise CalibrationDataError(
            f"{path}: every input needs the same, non-zero number of samples, got {counts}"
        )
    for name, array in arrays.items():
        _check_fits(path, name, array, example[name], config)
    arrays = {name: array.astype(example[name].dtype, copy=False) for name, array in arrays.items()}
    total = next(iter(counts.values()))
    return [
        {name: array[start : start + CALIBRATION_BATCH] for name, array in arrays.items()}
        for start in range(0, total, CALIBRATION_BATCH)
    ]


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise CalibrationDataError(f"calibration data {path} is not a readable .npz file: {error}") from error


def _check_fits(path: Path, name: str, array: np.ndarray, example: np.ndarray, config: ExportConfig) -> None:
    where = f"{path}: calibration input '{name}'"
    if array.ndim != example.ndim:
        raise CalibrationDataError(
            f"{where} has shape {list(array.shape)} ({array.ndim} axes); "
            f"the model expects {example.ndim} axes like {list(example.shape)}"
        )
    if array.dtype.kind != example.dtype.kind:
        raise CalibrationDataError(f"{where} is {array.dtype}, the model expects {example.dtype}")
    dynamic = next(spec.dynamic_axes for spec in config.inputs if spec.name == name)
    for axis in range(1, example.ndim):
        if axis not in dynamic and array.shape[axis] != example.shape[axis]:
            raise CalibrationDataError(
                f"{where} has size {array.shape[axis]} on axis {axis}, "
                f"which the model fixes at {example.shape[axis]}"
            )
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise CalibrationDataError(f"{where} contains NaN or infinite values")
