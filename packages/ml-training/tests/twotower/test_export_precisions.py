"""Both towers of a tiny trained model exported in every precision, gated on Recall@10 and published."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest

from voxrank.serving.repository import ModelRepository, verify
from voxrank.training.export import PARITY_TOLERANCE, ExportValidationError
from voxrank.training.export.exporter import ExportRequest, export_model
from voxrank.training.twotower import export_config
from voxrank.training.twotower.config import TwoTowerTrainingConfig
from voxrank.training.twotower.export_config import MAX_RECALL_DELTA
from voxrank.training.twotower.train import train

TOWERS = ("two-tower-user", "two-tower-item")


@pytest.mark.slow
def test_both_towers_publish_in_fp32_fp16_and_int8_within_the_recall_gate(
    tiny_config: TwoTowerTrainingConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tiny_config.train.epochs = 1
    checkpoint = train(tiny_config, run_evaluation=False).checkpoint
    repository = tmp_path / "repository"
    for model in TOWERS:
        for precision in ("fp32", "fp16", "int8"):
            request = ExportRequest(model, checkpoint, precision, "1.0.0", repository)
            export_model(request)
    published = ModelRepository(repository)
    assert published.models() == sorted(
        f"{tower}{suffix}" for tower in TOWERS for suffix in ("", "-fp16", "-int8")
    )
    for name in published.models():
        version = published.resolve(name, "1.0.0")
        verify(version, golden=True)
        manifest = version.manifest
        assert manifest.parity.max_abs_diff <= PARITY_TOLERANCE[manifest.precision]
        # The gate compares Recall@10 with the exported tower against the torch model's on the same split.
        assert manifest.metrics["recall@10_torch"] > 0
        assert -manifest.metrics["recall@10_delta"] <= MAX_RECALL_DELTA
        assert manifest.outputs[0].name == "embedding" and manifest.outputs[0].shape[-1] == 768
    for tower in TOWERS:
        int8 = published.resolve(f"{tower}-int8").model_path
        ops = {node.op_type for node in onnx.load(int8).graph.node}
        assert ops & {"MatMulInteger", "DynamicQuantizeMatMul"}, f"{tower}-int8 holds no quantised MatMul"
    # A gate that tolerates no drop at all refuses the int8 tower, and nothing is published.
    monkeypatch.setattr(export_config, "MAX_RECALL_DELTA", -1.0)
    with pytest.raises(ExportValidationError, match="recall@10"):
        export_model(ExportRequest(TOWERS[0], checkpoint, "int8", "2.0.0", repository))
    assert [str(version) for version in published.versions(f"{TOWERS[0]}-int8")] == ["1.0.0"]
