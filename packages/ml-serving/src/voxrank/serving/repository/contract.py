"""The input/output contract of each task, and the contract major this runtime speaks.

A model's manifest names the contract major it was exported for; the runtime refuses other majors, so a
contract break (a renamed input, an output whose meaning changed) never reaches a server on the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voxrank.serving.repository.errors import ContractMismatchError
from voxrank.serving.repository.manifest import Manifest, Task, TensorSpec


@dataclass(frozen=True)
class TaskContract:
    """The major version of a task's contract and the graph inputs/outputs every model of it must have."""

    major: int
    inputs: tuple[TensorSpec, ...] = field(default_factory=tuple)
    outputs: tuple[TensorSpec, ...] = field(default_factory=tuple)


TASK_CONTRACTS: dict[Task, TaskContract] = {
    "diarization": TaskContract(
        major=1,
        inputs=(TensorSpec(name="waveform", dtype="float32", shape=["batch", "samples"]),),
        outputs=(
            TensorSpec(name="activity", dtype="float32", shape=["batch", "frames", "speakers"]),
            TensorSpec(name="embeddings", dtype="float32", shape=["batch", "speakers", "dim"]),
        ),
    ),
    # The towers' feature inputs are defined by the two-tower package; only the major is fixed here.
    "two-tower-user": TaskContract(major=1),
    "two-tower-item": TaskContract(major=1),
}


def check_contract(manifest: Manifest, contract_major: int | None = None) -> None:
    """Raise ContractMismatchError unless the manifest targets `contract_major` and has the task's tensors."""
    contract = TASK_CONTRACTS[manifest.task]
    expected_major = contract.major if contract_major is None else contract_major
    if manifest.contract_major != expected_major:
        raise ContractMismatchError(
            f"{manifest.name} {manifest.version} targets {manifest.task} contract major "
            f"{manifest.contract_major}, this runtime speaks major {expected_major}"
        )
    _check_tensors("input", contract.inputs, manifest.inputs, manifest)
    _check_tensors("output", contract.outputs, manifest.outputs, manifest)


def _check_tensors(
    kind: str, required: tuple[TensorSpec, ...], declared: list[TensorSpec], manifest: Manifest
) -> None:
    by_name = {spec.name: spec for spec in declared}
    for spec in required:
        found = by_name.get(spec.name)
        if found is None:
            raise ContractMismatchError(
                f"{manifest.name} {manifest.version} lacks the {manifest.task} {kind} '{spec.name}'"
            )
        if found.dtype != spec.dtype or len(found.shape) != len(spec.shape):
            raise ContractMismatchError(
                f"{manifest.name} {manifest.version} {kind} '{spec.name}' is {found.dtype}{found.shape}, "
                f"the contract requires {spec.dtype}{spec.shape}"
            )
