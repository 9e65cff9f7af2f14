"""Hand-built user and item towers (ONNX, via the onnx helper API) with a numpy reference, for tests.

The user tower sums the id embeddings of its history weighted by recency; the item tower sums its id
embedding, its token embeddings and a projection of the dense features; both L2-normalise. Id
embeddings are shared, so a user lands near the items in their history, as a trained model's would.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

from voxrank.serving.recommend.features import DENSE_FEATURES, FeatureSpec
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

DIMENSION = 768
SPEC = FeatureSpec(token_buckets=512, item_buckets=512, max_title_tokens=8, max_bag_tokens=4, max_history=5)
OPSET = 17


def weights(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "id_table": rng.standard_normal((SPEC.item_buckets, DIMENSION)).astype(np.float32),
        "token_table": 0.1 * rng.standard_normal((SPEC.token_buckets, DIMENSION)).astype(np.float32),
        "dense_weights": 0.1 * rng.standard_normal((len(DENSE_FEATURES), DIMENSION)).astype(np.float32),
    }


def _normalise(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def reference_users(feeds: dict[str, np.ndarray], seed: int) -> np.ndarray:
    table = weights(seed)["id_table"]
    return _normalise((table[feeds["history_ids"]] * feeds["history_weights"][..., None]).sum(axis=1))


def reference_items(feeds: dict[str, np.ndarray], seed: int) -> np.ndarray:
    tables = weights(seed)
    summed = (
        tables["id_table"][feeds["item_ids"]]
        + tables["token_table"][feeds["item_tokens"]].sum(axis=1)
        + feeds["item_dense"] @ tables["dense_weights"]
    )
    return _normalise(summed)


def _build(path: Path, task: str, seed: int) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    constants = weights(seed) | {
        "axis_one": np.array([1], dtype=np.int64),
        "axis_two": np.array([2], dtype=np.int64),
    }
    if task == "two-tower-user":
        inputs = [
            helper.make_tensor_value_info("history_ids", TensorProto.INT64, ["batch", "history"]),
            helper.make_tensor_value_info("history_weights", TensorProto.FLOAT, ["batch", "history"]),
        ]
        nodes = [
            helper.make_node("Gather", ["id_table", "history_ids"], ["history_vectors"]),
            helper.make_node("Unsqueeze", ["history_weights", "axis_two"], ["column_weights"]),
            helper.make_node("Mul", ["history_vectors", "column_weights"], ["weighted"]),
            helper.make_node("ReduceSum", ["weighted", "axis_one"], ["pooled"], keepdims=0),
        ]
    else:
        inputs = [
            helper.make_tensor_value_info("item_ids", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("item_tokens", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("item_dense", TensorProto.FLOAT, ["batch", len(DENSE_FEATURES)]),
        ]
        nodes = [
            helper.make_node("Gather", ["id_table", "item_ids"], ["id_vectors"]),
            helper.make_node("Gather", ["token_table", "item_tokens"], ["token_vectors"]),
            helper.make_node("ReduceSum", ["token_vectors", "axis_one"], ["token_sum"], keepdims=0),
            helper.make_node("MatMul", ["item_dense", "dense_weights"], ["dense_vectors"]),
            helper.make_node("Sum", ["id_vectors", "token_sum", "dense_vectors"], ["pooled"]),
        ]
    nodes.append(helper.make_node("LpNormalization", ["pooled"], ["embedding"], axis=1, p=2))
    output = helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", DIMENSION])
    used = {name for node in nodes for name in node.input}
    initializers = [numpy_helper.from_array(value, name) for name, value in constants.items() if name in used]
    graph = helper.make_graph(nodes, f"tiny-{task}", inputs, [output], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def _golden_feeds(task: str) -> dict[str, np.ndarray]:
    if task == "two-tower-user":
        return {
            "history_ids": np.array([[1, 2, 0, 0, 0]], dtype=np.int64),
            "history_weights": np.array([[1.0, 0.5, 0, 0, 0]], dtype=np.float32),
        }
    return {
        "item_ids": np.array([3], dtype=np.int64),
        "item_tokens": np.zeros((1, SPEC.item_token_width), dtype=np.int64),
        "item_dense": np.zeros((1, len(DENSE_FEATURES)), dtype=np.float32),
    }


def _manifest(model_path: Path, name: str, version: str, task: str) -> Manifest:
    feeds = _golden_feeds(task)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    (embedding,) = session.run(["embedding"], feeds)
    inputs = [
        TensorSpec(
            name=node.name, dtype="int64" if "int64" in node.type else "float32", shape=list(node.shape)
        )
        for node in session.get_inputs()
    ]
    return Manifest(
        name=name,
        version=version,
        task=task,  # type: ignore[arg-type]
        contract_major=1,
        precision="fp32",
        inputs=inputs,
        outputs=[TensorSpec(name="embedding", dtype="float32", shape=["batch", DIMENSION])],
        preprocessing=SPEC.to_manifest(),
        parity=Parity(reference="numpy", tolerance=1e-5, max_abs_diff=0.0),
        sha256=sha256_file(model_path),
        size_bytes=model_path.stat().st_size,
        provenance=Provenance(exporter="tests.recommend.tiny_towers", opset=OPSET),
        golden=Golden(
            inputs={key: TensorData.from_array(value) for key, value in feeds.items()},
            outputs={"embedding": TensorData.from_array(embedding)},
            atol=1e-5,
        ),
    )


def publish_tower(root: Path, task: str, version: str, seed: int = 0, name: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "model.onnx"
        _build(path, task, seed)
        ModelRepository(root).publish(path, _manifest(path, name or task, version, task))
