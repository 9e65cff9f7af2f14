"""Choosing the clustering threshold on dev data; the best checkpoint keeps it for export and serving."""

from __future__ import annotations

import itertools
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
    """Segment each item once, then try every (onset, clustering threshold) pair with the speaker count
    estimated; the pair with the lowest DER (collar 0.5) goes into the checkpoint's `pipeline` settings."""
    model, _ = model_from_checkpoint(checkpoint_path)
    segmenter = TorchSegmenter(model, round(config.data.window_s * 16_000))
    base = config.pipeline_config()
    segmentations = {item.uri: DiarizationPipeline(segmenter, base).segment(item.waveform) for item in items}
    results = {}
    for onset, threshold in itertools.product(config.validation.onsets, config.validation.thresholds):
        settings = {"onset": onset, "offset": round(onset - 0.1, 3), "clustering_threshold": threshold}
        pipeline = DiarizationPipeline(segmenter, base.model_copy(update=settings))
        hypotheses = {
            item.uri: pipeline.diarize_segmentation(segmentations[item.uri], len(item.waveform)).turns
            for item in items
        }
        results[(onset, threshold)] = (score(items, hypotheses)["overall"]["collar_0.5"]["der"], settings)
    best = min(results, key=lambda pair: results[pair][0])
    checkpoint = load_checkpoint(checkpoint_path)
    checkpoint["pipeline"] = base.model_copy(update=results[best][1]).model_dump()
    checkpoint["metrics"]["pipeline_search"] = {
        f"onset={o} threshold={t}": der for (o, t), (der, _) in results.items()
    }
    save_checkpoint(checkpoint_path, {k: v for k, v in checkpoint.items() if k not in ("format", "task")})
    return checkpoint["pipeline"]
