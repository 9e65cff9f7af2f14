import numpy as np
import onnxruntime as ort
import pytest
import torch

from voxrank.training.diarization.models import ModelConfigError, build_model


@pytest.mark.parametrize("name", ["fastcnn", "transformer"])
def test_models_follow_the_onnx_contract_shapes(name: str) -> None:
    model = build_model(name, {"embedding_dim": 32}).eval()
    activity, embeddings = model(torch.randn(2, 80_000))
    assert activity.shape == (2, 250, 3) and embeddings.shape == (2, 3, 32)
    assert float(activity.min()) >= 0 and float(activity.max()) <= 1
    assert torch.allclose(embeddings.norm(dim=2), torch.ones(2, 3), atol=1e-5)
    assert model.num_frames(80_000) == 250


@pytest.mark.parametrize("name", ["fastcnn", "transformer"])
def test_models_export_to_onnx_with_dynamic_batch_and_samples(name: str, tmp_path) -> None:
    model = build_model(name, {"embedding_dim": 16}).eval()
    path = tmp_path / f"{name}.onnx"
    torch.onnx.export(
        model,
        (torch.randn(1, 32_000),),
        str(path),
        input_names=["waveform"],
        output_names=["activity", "embeddings"],
        dynamic_axes={
            "waveform": {0: "batch", 1: "samples"},
            "activity": {0: "batch", 1: "frames"},
            "embeddings": {0: "batch"},
        },
        opset_version=17,
        dynamo=False,
    )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    for batch, samples in [(1, 80_000), (3, 48_000)]:
        waveform = np.random.default_rng(0).standard_normal((batch, samples)).astype(np.float32)
        activity, embeddings = session.run(None, {"waveform": waveform})
        expected_activity, expected_embeddings = (
            t.detach().numpy() for t in model(torch.from_numpy(waveform))
        )
        assert activity.shape == (batch, samples // 320, 3)
        np.testing.assert_allclose(activity, expected_activity, atol=1e-4)
        np.testing.assert_allclose(embeddings, expected_embeddings, atol=1e-4)


def test_unknown_family_and_bad_config_are_refused() -> None:
    with pytest.raises(ModelConfigError, match="unknown diarization model 'lstm'"):
        build_model("lstm", {})
    with pytest.raises(ModelConfigError, match="colour"):
        build_model("fastcnn", {"colour": "red"})
    with pytest.raises(ModelConfigError, match="divisible"):
        build_model("transformer", {"d_model": 100, "heads": 3})
