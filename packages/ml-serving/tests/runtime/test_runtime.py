"""ONNX Runtime sessions: provider chain, strict mode, thread settings, IO binding, the segmenter."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from voxrank.serving.runtime import ProviderChain, ProviderError, SessionConfig, SessionRunner
from voxrank.serving.runtime.providers import primary_provider
from voxrank.serving.runtime.segmenter import OnnxSegmenter
from voxrank.serving.tone_model import (
    FRAMES_PER_WINDOW,
    LOCAL_SPEAKERS,
    ToneTurn,
    build_tone_model,
    tone_conversation,
)

CPU = ProviderChain(("CPUExecutionProvider",))


@pytest.fixture(scope="module")
def tone_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tone_model(tmp_path_factory.mktemp("tone") / "model.onnx")


@pytest.fixture
def two_windows() -> np.ndarray:
    audio = tone_conversation([ToneTurn(0, 2.0), ToneTurn(1, 2.0)])
    return audio.reshape(2, -1)


def test_short_names_map_to_providers_in_order_with_gpu_options() -> None:
    chain = ProviderChain.from_short_names(["tensorrt", "cuda", "cpu"], device_id=1, tensorrt_fp16=True)
    assert chain.names == ("TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider")
    assert chain.options["CUDAExecutionProvider"] == {"device_id": 1}
    assert chain.options["TensorrtExecutionProvider"]["trt_fp16_enable"] is True


def test_an_unknown_provider_name_is_refused() -> None:
    with pytest.raises(ProviderError, match="unknown providers"):
        ProviderChain.from_short_names(["rocm"])


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(), reason="needs a CPU-only build")
def test_strict_mode_refuses_a_missing_accelerator(tone_model: Path) -> None:
    chain = ProviderChain.from_short_names(["cuda", "cpu"], strict=True)
    with pytest.raises(ProviderError, match=r"CUDAExecutionProvider.*not in onnxruntime"):
        SessionRunner(tone_model, SessionConfig(chain))


@pytest.mark.skipif("CUDAExecutionProvider" in ort.get_available_providers(), reason="needs a CPU-only build")
def test_without_strict_mode_a_missing_accelerator_falls_back_with_a_warning(
    tone_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    chain = ProviderChain.from_short_names(["cuda", "cpu"])
    with caplog.at_level(logging.WARNING):
        runner = SessionRunner(tone_model, SessionConfig(chain))
    assert runner.provider == "cpu"
    assert "CUDAExecutionProvider" in caplog.text


def test_a_chain_with_nothing_available_is_refused(tone_model: Path) -> None:
    with pytest.raises(ProviderError, match="none of the providers"):
        SessionRunner(tone_model, SessionConfig(ProviderChain(("NoSuchExecutionProvider",))))


def test_strict_mode_fails_when_an_available_accelerator_did_not_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A GPU provider that is installed but cannot start (driver, CUDA libraries) cannot be produced on a
    # CPU machine; ORT then silently returns a CPU-only session, which is what this fake session reports.
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )

    class CpuOnlySession:
        def get_providers(self) -> list[str]:
            return ["CPUExecutionProvider"]

    strict = ProviderChain.from_short_names(["cuda", "cpu"], strict=True)
    with pytest.raises(ProviderError, match=r"\['CUDAExecutionProvider'\] did not load"):
        strict.check_loaded(CpuOnlySession(), "m")  # type: ignore[arg-type]
    lenient = ProviderChain.from_short_names(["cuda", "cpu"])
    assert lenient.check_loaded(CpuOnlySession(), "m") == ["CPUExecutionProvider"]  # type: ignore[arg-type]


def test_primary_provider_is_the_first_loaded() -> None:
    assert primary_provider(["CUDAExecutionProvider", "CPUExecutionProvider"]) == "cuda"
    assert primary_provider([]) == "none"


def test_io_binding_gives_the_same_outputs_as_a_plain_run(tone_model: Path, two_windows: np.ndarray) -> None:
    plain = SessionRunner(tone_model, SessionConfig(CPU, intra_op_threads=1, io_binding="never"))
    bound = SessionRunner(tone_model, SessionConfig(CPU, intra_op_threads=1, io_binding="always"))
    assert not plain.uses_io_binding
    assert bound.uses_io_binding

    expected = plain({"waveform": two_windows})
    actual = bound({"waveform": two_windows})

    for name in ("activity", "embeddings"):
        np.testing.assert_array_equal(actual[name], expected[name])


def test_auto_io_binding_is_off_on_cpu(tone_model: Path) -> None:
    assert not SessionRunner(tone_model, SessionConfig(CPU)).uses_io_binding


def test_segmenter_follows_the_contract_and_the_tones(tone_model: Path, two_windows: np.ndarray) -> None:
    runner = SessionRunner(tone_model, SessionConfig(CPU, intra_op_threads=1))
    segmenter = OnnxSegmenter(runner, window_samples=two_windows.shape[1])

    activity, embeddings = segmenter(two_windows)

    assert activity.shape == (2, FRAMES_PER_WINDOW, LOCAL_SPEAKERS)
    assert embeddings.shape[:2] == (2, LOCAL_SPEAKERS)
    np.testing.assert_allclose(np.linalg.norm(embeddings, axis=-1), 1.0, atol=1e-6)
    # Window 0 holds the low tone (local speaker 0), window 1 the high tone (local speaker 1).
    assert activity[0, :, 0].min() > 0.99 and activity[0, :, 1].max() < 0.01
    assert activity[1, :, 1].min() > 0.99 and activity[1, :, 0].max() < 0.01
    assert activity[:, :, 2].max() < 0.01


def test_a_terminated_run_raises_instead_of_finishing(tone_model: Path, two_windows: np.ndarray) -> None:
    runner = SessionRunner(tone_model, SessionConfig(CPU))
    options = ort.RunOptions()
    options.terminate = True
    with pytest.raises(Exception, match=r"(?i)terminat"):
        OnnxSegmenter(runner, two_windows.shape[1], options)(two_windows)
