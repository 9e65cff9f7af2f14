"""Choosing the clustering threshold on dev data; the best checkpoint keeps it for export and serving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from voxrank.serving.diarization import DiarizationPipeline
from voxrank.training.diarization.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from voxrank.training.diarization.config import DiarizationConfig
from voxrank.training.diarization.evaluation import EvaluationItem, score
from voxrank.training.diarization.segmenter import TorchSegmenter


def tune_threshold(
    checkpoint_path: Path, config: DiarizationConfig, items: list[EvaluationItem]
) -> dict[str, Any]:
    """Segment each item once, cluster it at every candidate threshold (speaker count estimated),
    keep the threshold with the lowest DER (collar 0.5) in the checkpoint's `pipeline` settings."""
    model, _ = model_from_checkpoint(checkpoint_path)
    segmenter = TorchSegmenter(model, round(config.data.window_s * 16_000))
    base = config.pipeline_config()
    segmentations = {item.uri: DiarizationPipeline(segmenter, base).segment(item.waveform) for item in items}
    results = {}
    for threshold in config.validation.thresholds:
        pipeline = DiarizationPipeline(segmenter, base.model_copy(update={"clustering_threshold": threshold}))
        hypotheses = {
            item.uri: pipeline.diarize_segmentation(segmentations[item.uri], len(item.waveform)).turns
            for item in items
        }
        results[threshold] = score(items, hypotheses)["overall"]["collar_0.5"]["der"]
    best = min(results, key=lambda threshold: results[threshold])
    checkpoint = load_checkpoint(checkpoint_path)
    checkpoint["pipeline"] = base.model_copy(update={"clustering_threshold": best}).model_dump()
    checkpoint["metrics"]["threshold_search"] = {str(key): value for key, value in results.items()}
    save_checkpoint(checkpoint_path, {k: v for k, v in checkpoint.items() if k not in ("format", "task")})
    return checkpoint["pipeline"]
