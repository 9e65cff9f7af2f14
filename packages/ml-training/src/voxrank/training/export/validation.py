"""Validation of an exported model before it may be published: names, shapes, finiteness, parity with
torch over several batch sizes and lengths, dynamic axes, and the task metric on validation data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx

from voxrank.serving.repository import Parity, ParityCase, Precision
from voxrank.training.export.config import PARITY_TOLERANCE, ExportConfig, Feeds, Runner, TaskMetric


@dataclass
class ValidationReport:
    """What validation measured and every check that failed (empty `failures`: publishable)."""

    parity: Parity
    metrics: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def validate(
    model_path: Path,
    *,
    config: ExportConfig,
    precision: Precision,
    candidate: Runner,
    reference: Runner,
    metric: TaskMetric | None,
    reference_metrics: dict[str, float] | None,
) -> ValidationReport:
    """Compare `candidate` (the ONNX model) with `reference` (torch) and gate the task metric."""
    tolerance = PARITY_TOLERANCE[precision]
    failures = check_dynamic_axes(model_path, config)
    cases = []
    for feeds in config.validation_inputs():
        case, case_failures = compare_outputs(feeds, config, candidate, reference, tolerance)
        cases.append(case)
        failures.extend(case_failures)
    worst = max((diff for case in cases for diff in case.max_abs_diff.values()), default=0.0)
    report = ValidationReport(Parity(tolerance=tolerance, max_abs_diff=worst, cases=cases), failures=failures)
    if metric is not None and reference_metrics is not None and not failures:
        report.metrics = gate_task_metric(metric, candidate, reference_metrics, report.failures)
    return report


def check_dynamic_axes(model_path: Path, config: ExportConfig) -> list[str]:
    """Every axis the config calls dynamic must be symbolic in the graph, not fixed by tracing."""
    graph = onnx.load(model_path, load_external_data=False).graph
    failures = []
    for values, specs in ((graph.input, config.inputs), (graph.output, config.outputs)):
        by_name = {value.name: value for value in values}
        for spec in specs:
            if spec.name not in by_name:
                failures.append(f"graph has no {spec.name!r}; it has {sorted(by_name)}")
                continue
            dims = by_name[spec.name].type.tensor_type.shape.dim
            for axis, axis_name in spec.dynamic_axes.items():
                if dims[axis].HasField("dim_value"):
                    failures.append(
                        f"{spec.name} axis {axis} ({axis_name}) is fixed at {dims[axis].dim_value}"
                    )
    return failures


def compare_outputs(
    feeds: Feeds, config: ExportConfig, candidate: Runner, reference: Runner, tolerance: float
) -> tuple[ParityCase, list[str]]:
    """Names, shapes, dtypes, finiteness and the largest absolute difference of one input."""
    shapes = {name: list(array.shape) for name, array in feeds.items()}
    expected, actual = reference(feeds), candidate(feeds)
    where = f"at input shapes {shapes}"
    names = [spec.name for spec in config.outputs]
    if sorted(actual) != sorted(names):
        return ParityCase(input_shapes=shapes, max_abs_diff={}), [
            f"outputs {sorted(actual)} differ from {sorted(names)} {where}"
        ]
    failures, diffs = [], {}
    for name in names:
        got, want = np.asarray(actual[name]), np.asarray(expected[name])
        if got.shape != want.shape or got.dtype != want.dtype:
            failures.append(
                f"{name} is {got.dtype}{list(got.shape)}, torch gives {want.dtype}{list(want.shape)} {where}"
            )
            continue
        if not np.all(np.isfinite(got)):
            failures.append(f"{name} has NaN or infinite values {where}")
            continue
        diffs[name] = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)), initial=0.0))
        if diffs[name] > tolerance:
            failures.append(f"{name} differs from torch by {diffs[name]:.3g} > {tolerance:g} {where}")
    return ParityCase(input_shapes=shapes, max_abs_diff=diffs), failures


def gate_task_metric(
    metric: TaskMetric, candidate: Runner, reference_metrics: dict[str, float], failures: list[str]
) -> dict[str, float]:
    """The candidate's task metrics with the gated one's reference value and delta; appends a failure
    when it is worse than the reference by more than `metric.max_delta`."""
    measured = metric.measure(candidate)
    reference = reference_metrics[metric.name]
    worsening = metric.worsening(reference, measured[metric.name])
    if not np.isfinite(measured[metric.name]) or worsening > metric.max_delta:
        failures.append(
            f"{metric.name} is {measured[metric.name]:.4g} against {reference:.4g} for torch: "
            f"worse by {worsening:.4g} > {metric.max_delta:g}"
        )
    return {
        **measured,
        f"{metric.name}_torch": reference,
        f"{metric.name}_delta": measured[metric.name] - reference,
    }
