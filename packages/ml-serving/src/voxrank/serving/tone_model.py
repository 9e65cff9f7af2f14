"""A hand-built diarization model with a known answer, for tests, demos and loopback load tests.

It follows the diarization ONNX contract (waveform in; activity `[B, F, 3]` and embeddings `[B, 3, D]`
out) without training: local speaker 0 is active where a frame holds a low tone, speaker 1 where it
holds a high tone, speaker 2 never; each local speaker has a fixed unit embedding. A conversation of
alternating low and high tones therefore has exactly one right diarization. `extra_matmuls` adds
input-dependent work that changes no output, to make the model as slow as a test needs.

Building it needs the `onnx` package (in the `test` and `bench` extras).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.repository import (
    Golden,
    Manifest,
    ModelRepository,
    ModelVersion,
    Parity,
    Provenance,
    TensorData,
    TensorSpec,
    sha256_file,
)

LOW_HZ = 400.0
HIGH_HZ = 2000.0
WINDOW_S = 2.0
STEP_S = 1.0
FRAMES_PER_WINDOW = 40
LOCAL_SPEAKERS = 3
EMBEDDING_DIM = 8
OPSET = 17


@dataclass(frozen=True)
class ToneTurn:
    speaker: int
    """0 speaks in the low tone, 1 in the high tone."""
    seconds: float


def build_tone_model(path: Path, extra_matmuls: int = 0) -> Path:
    """Write the tone diarization model to `path`."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    window = round(WINDOW_S * SAMPLE_RATE)
    frame = window // FRAMES_PER_WINDOW
    constants = {
        "frame_shape": np.array([0, FRAMES_PER_WINDOW, frame], dtype=np.int64),
        "band_basis": _band_basis(frame),
        "band_sum": np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0]], dtype=np.float32),
        # amplitude 0.5 gives band power 0.0625 -> logit +17; silence -> -8.
        "gain": np.array(400.0, dtype=np.float32),
        "bias": np.array(8.0, dtype=np.float32),
        "speaker_vectors": np.eye(LOCAL_SPEAKERS, EMBEDDING_DIM, dtype=np.float32)[None],
        "first": np.array([0], dtype=np.int64),
        "one": np.array([1], dtype=np.int64),
        "speakers_and_dim": np.array([LOCAL_SPEAKERS, EMBEDDING_DIM], dtype=np.int64),
    }
    nodes = [
        helper.make_node("Reshape", ["waveform", "frame_shape"], ["frames"]),
        helper.make_node("MatMul", ["frames", "band_basis"], ["projections"]),
        helper.make_node("Mul", ["projections", "projections"], ["squares"]),
        helper.make_node("MatMul", ["squares", "band_sum"], ["power"]),
        helper.make_node("Mul", ["power", "gain"], ["scaled"]),
        helper.make_node("Sub", ["scaled", "bias"], ["logits"]),
        helper.make_node("Sigmoid", ["logits"], ["clean_activity"]),
        helper.make_node("Shape", ["waveform"], ["input_shape"]),
        helper.make_node("Slice", ["input_shape", "first", "one"], ["batch"]),
        helper.make_node("Concat", ["batch", "speakers_and_dim"], ["embedding_shape"], axis=0),
        helper.make_node("Expand", ["speaker_vectors", "embedding_shape"], ["embeddings"]),
    ]
    nodes += _busy_work(extra_matmuls, frame, constants)
    graph = helper.make_graph(
        nodes,
        "voxrank-tone-diarization",
        [helper.make_tensor_value_info("waveform", TensorProto.FLOAT, ["batch", "samples"])],
        [
            helper.make_tensor_value_info("activity", TensorProto.FLOAT, ["batch", "frames", LOCAL_SPEAKERS]),
            helper.make_tensor_value_info(
                "embeddings", TensorProto.FLOAT, ["batch", LOCAL_SPEAKERS, EMBEDDING_DIM]
            ),
        ],
        [numpy_helper.from_array(value, name) for name, value in constants.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def _band_basis(frame: int) -> np.ndarray:
    """Cosine and sine at the low and high tone; frames hold whole periods, so the bands do not leak."""
    t = np.arange(frame) / SAMPLE_RATE
    columns = [wave(2 * np.pi * hz * t) for hz in (LOW_HZ, HIGH_HZ) for wave in (np.cos, np.sin)]
    return (np.stack(columns, axis=1) * 2 / frame).astype(np.float32)


def _busy_work(count: int, frame: int, constants: dict[str, np.ndarray]) -> list:
    """`count` frame-by-frame matrix products whose sum, times zero, is added to the activity."""
    from onnx import helper

    if count == 0:
        return [helper.make_node("Identity", ["clean_activity"], ["activity"])]
    constants["busy_weights"] = np.full((frame, frame), 1e-3, dtype=np.float32)
    constants["zero"] = np.array(0.0, dtype=np.float32)
    nodes, current = [], "frames"
    for index in range(count):
        # Tanh between the products keeps ONNX Runtime from fusing the chain into one product.
        nodes.append(helper.make_node("MatMul", [current, "busy_weights"], [f"busy_product_{index}"]))
        nodes.append(helper.make_node("Tanh", [f"busy_product_{index}"], [f"busy_{index}"]))
        current = f"busy_{index}"
    nodes += [
        helper.make_node("ReduceSum", [current], ["busy_total"], keepdims=0),
        helper.make_node("Mul", ["busy_total", "zero"], ["nothing"]),
        helper.make_node("Add", ["clean_activity", "nothing"], ["activity"]),
    ]
    return nodes


def tone_conversation(turns: Sequence[ToneTurn], amplitude: float = 0.5) -> np.ndarray:
    """16 kHz float32 audio: each turn is its speaker's tone for its duration."""
    pieces = []
    elapsed = 0
    for turn in turns:
        count = round(turn.seconds * SAMPLE_RATE)
        t = (elapsed + np.arange(count)) / SAMPLE_RATE
        pieces.append(amplitude * np.sin(2 * np.pi * (HIGH_HZ if turn.speaker else LOW_HZ) * t))
        elapsed += count
    return np.concatenate(pieces).astype(np.float32)


def expected_turns(turns: Sequence[ToneTurn]) -> list[tuple[float, float, int]]:
    """(start, end, speaker) of each turn, adjacent turns of one speaker merged."""
    merged: list[tuple[float, float, int]] = []
    start = 0.0
    for turn in turns:
        end = start + turn.seconds
        if merged and merged[-1][2] == turn.speaker:
            merged[-1] = (merged[-1][0], end, turn.speaker)
        else:
            merged.append((start, end, turn.speaker))
        start = end
    return merged


def tone_manifest(model_path: Path, name: str, version: str) -> Manifest:
    """A complete manifest whose golden output ONNX Runtime records on a two-speaker input."""
    golden_input = tone_conversation([ToneTurn(0, WINDOW_S / 2), ToneTurn(1, WINDOW_S / 2)])[None]
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    activity, embeddings = session.run(["activity", "embeddings"], {"waveform": golden_input})
    return Manifest(
        name=name,
        version=version,
        task="diarization",
        contract_major=1,
        precision="fp32",
        inputs=[TensorSpec(name="waveform", dtype="float32", shape=["batch", "samples"])],
        outputs=[
            TensorSpec(name="activity", dtype="float32", shape=["batch", "frames", LOCAL_SPEAKERS]),
            TensorSpec(name="embeddings", dtype="float32", shape=["batch", LOCAL_SPEAKERS, EMBEDDING_DIM]),
        ],
        preprocessing={"sample_rate": SAMPLE_RATE, "window_s": WINDOW_S, "step_s": STEP_S},
        postprocessing={"onset": 0.5, "offset": 0.4, "min_duration_off": 0.0},
        parity=Parity(reference="none: hand-built graph", tolerance=1e-6, max_abs_diff=0.0),
        sha256=sha256_file(model_path),
        size_bytes=model_path.stat().st_size,
        provenance=Provenance(exporter="voxrank.serving.tone_model", opset=OPSET),
        golden=Golden(
            inputs={"waveform": TensorData.from_array(golden_input)},
            outputs={
                "activity": TensorData.from_array(activity),
                "embeddings": TensorData.from_array(embeddings),
            },
            atol=1e-4,
        ),
    )


def publish_tone_model(root: Path, name: str, version: str, extra_matmuls: int = 0) -> ModelVersion:
    """Build the tone model and publish it into the repository at `root` through the repository API."""
    with tempfile.TemporaryDirectory() as scratch:
        model_path = build_tone_model(Path(scratch) / "model.onnx", extra_matmuls)
        return ModelRepository(root).publish(model_path, tone_manifest(model_path, name, version))
