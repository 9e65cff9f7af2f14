"""Turn a repository version into a LoadedModel only if it passes every check the repository defines."""

from __future__ import annotations

import time

from voxrank.serving.models.loaded import LoadedModel
from voxrank.serving.repository import ModelVersion, check_golden, golden_inputs, verify
from voxrank.serving.runtime.session import SessionConfig, SessionRunner


def load_validated(candidate: ModelVersion, config: SessionConfig, warmup_runs: int) -> LoadedModel:
    """READY, checksum and contract; a session on the configured providers; golden output; warm-up.

    The golden check runs on the serving session itself (not a CPU reference), so a provider that
    computes differently (TensorRT fp16, a broken kernel) is caught before the version serves.
    """
    started = time.perf_counter()
    verify(candidate)
    runner = SessionRunner(candidate.model_path, config, name=candidate.name)
    check_golden(runner, candidate.manifest)
    runner.warm_up(golden_inputs(candidate.manifest), warmup_runs)
    return LoadedModel(
        name=candidate.name,
        version=str(candidate.version),
        manifest=candidate.manifest,
        runner=runner,
        path=candidate.path,
        load_seconds=time.perf_counter() - started,
    )
