"""The generic model manager on a real repository: load, fall back, pin, swap, drain, any task."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from voxrank.serving.models import ModelManager, ModelUnavailableError
from voxrank.serving.repository import (
    Golden,
    Manifest,
    ModelRepository,
    Parity,
    Provenance,
    TensorData,
    TensorSpec,
    sha256_file,
)
from voxrank.serving.runtime import ProviderError
from voxrank.serving.settings import ServingSettings
from voxrank.serving.tone_model import publish_tone_model

TONE = "diarization-tone"
TOWER = "two-tower-user"


def settings(root: Path, **overrides: object) -> ServingSettings:
    return ServingSettings(
        **({"model_repository": root, "intra_op_threads": 1, "warmup_runs": 1} | overrides)
    )


def corrupt(root: Path, name: str, version: str) -> None:
    model_file = root / name / version / "model.onnx"
    model_file.write_bytes(model_file.read_bytes() + b"x")


def publish_tower(root: Path, version: str = "1.0.0") -> None:
    """A toy user tower: 4 features -> a 768-d unit vector (the manager must not care about the task)."""
    weights = np.random.default_rng(0).standard_normal((4, 768)).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["features", "weights"], ["raw"]),
            helper.make_node("LpNormalization", ["raw"], ["embedding"], axis=-1, p=2),
        ],
        "toy-tower",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 768])],
        [numpy_helper.from_array(weights, "weights")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = root.parent / "tower.onnx"
    onnx.save(model, str(path))
    features = np.ones((2, 4), dtype=np.float32)
    (embedding,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"features": features}
    )
    manifest = Manifest(
        name=TOWER,
        version=version,
        task="two-tower-user",
        contract_major=1,
        precision="fp32",
        inputs=[TensorSpec(name="features", dtype="float32", shape=["batch", 4])],
        outputs=[TensorSpec(name="embedding", dtype="float32", shape=["batch", 768])],
        parity=Parity(tolerance=1e-6, max_abs_diff=0.0),
        sha256=sha256_file(path),
        size_bytes=path.stat().st_size,
        provenance=Provenance(exporter="tests", opset=17),
        golden=Golden(
            inputs={"features": TensorData.from_array(features)},
            outputs={"embedding": TensorData.from_array(embedding)},
            atol=1e-5,
        ),
    )
    ModelRepository(root).publish(path, manifest)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "repository"


def test_every_model_of_any_task_is_served(root: Path) -> None:
    publish_tone_model(root, TONE, "1.0.0")
    publish_tower(root)
    manager = ModelManager(settings(root))
    manager.start()

    assert manager.ready()
    tower = manager.get(TOWER)
    assert tower.manifest.task == "two-tower-user"
    embedding = tower.runner({"features": np.eye(4, dtype=np.float32)})["embedding"]
    assert embedding.shape == (4, 768)
    np.testing.assert_allclose(np.linalg.norm(embedding, axis=1), 1.0, atol=1e-5)
    assert manager.get(TONE).version == "1.0.0"


def test_a_broken_newest_version_falls_back_to_the_newest_valid_one_at_startup(root: Path) -> None:
    publish_tone_model(root, TONE, "1.0.0")
    publish_tone_model(root, TONE, "1.1.0")
    corrupt(root, TONE, "1.1.0")
    seen = []
    manager = ModelManager(settings(root), observer=lambda name, result: seen.append((name, result.outcome)))
    manager.start()

    assert manager.get(TONE).version == "1.0.0"
    slot = manager.slot(TONE)
    assert "sha256" in slot.rejected["1.1.0"]
    assert seen == [(TONE, "rejected"), (TONE, "loaded")]


def test_a_pinned_series_ignores_newer_minors(root: Path) -> None:
    for version in ("1.0.0", "1.0.1", "1.1.0"):
        publish_tone_model(root, TONE, version)
    manager = ModelManager(settings(root, model_versions={TONE: "1.0"}))
    manager.start()
    assert manager.get(TONE).version == "1.0.1"

    publish_tone_model(root, TONE, "1.0.2")
    publish_tone_model(root, TONE, "1.2.0")
    manager.refresh()
    assert manager.get(TONE).version == "1.0.2"


def test_refresh_swaps_and_the_old_version_drains_after_its_last_request(root: Path) -> None:
    publish_tone_model(root, TONE, "1.0.0")
    manager = ModelManager(settings(root, drain_timeout_s=30))
    manager.start()

    with manager.lease(TONE) as old:
        publish_tone_model(root, TONE, "1.1.0")
        manager.refresh()
        assert manager.get(TONE).version == "1.1.0"
        assert [model.version for model in manager.slot(TONE).draining] == ["1.0.0"]
        assert old.version == "1.0.0" and old.in_flight == 1
    deadline = time.monotonic() + 10
    while manager.slot(TONE).draining and time.monotonic() < deadline:
        time.sleep(0.01)
    assert manager.slot(TONE).draining == []


def test_a_rejected_version_is_not_retried_on_every_refresh(root: Path) -> None:
    publish_tone_model(root, TONE, "1.0.0")
    seen = []
    manager = ModelManager(settings(root), observer=lambda _, result: seen.append(result.outcome))
    manager.start()
    publish_tone_model(root, TONE, "1.1.0")
    corrupt(root, TONE, "1.1.0")

    manager.refresh()
    manager.refresh()

    assert seen == ["loaded", "rejected"]
    assert manager.get(TONE).version == "1.0.0"


def test_unknown_and_unloaded_models_raise_a_clear_error(root: Path) -> None:
    publish_tone_model(root, TONE, "1.0.0")
    corrupt(root, TONE, "1.0.0")
    manager = ModelManager(settings(root))
    manager.start()

    assert not manager.ready()
    with pytest.raises(ModelUnavailableError, match="not served"):
        manager.get("other")
    with pytest.raises(ModelUnavailableError, match="no version that passed validation"):
        manager.get(TONE)


def test_strict_providers_stop_startup_when_an_accelerator_is_missing(root: Path) -> None:
    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: the failure needs a CPU-only build")
    publish_tone_model(root, TONE, "1.0.0")
    manager = ModelManager(settings(root, providers=["cuda", "cpu"], strict_providers=True))
    with pytest.raises(ProviderError, match="CUDAExecutionProvider"):
        manager.start()


def test_required_models_must_be_served() -> None:
    with pytest.raises(ValueError, match="required_models"):
        ServingSettings(models=["a"], required_models=["b"])
