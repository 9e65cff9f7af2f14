"""Choosing the pipeline's settings on validation recordings; the best checkpoint keeps them for export
and serving.

Two searches over one segmentation per recording: first the binarisation (onset, offset, shortest gap)
with the speaker count given as evaluation gives it, then the clustering threshold, which only matters
when the count is estimated, with the count estimated.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig
from voxrank.serving.diarization.pipeline import LocalSegmentation
from voxrank.training.diarization.checkpoint import load_checkpoint, model_from_checkpoint, save_checkpoint
from voxrank.training.diarization.config import DiarizationConfig
from voxrank.training.diarization.evaluation import EvaluationItem, score
from voxrank.training.diarization.segmenter import TorchSegmenter


def tune_pipeline(
    checkpoint_path: Path, config: DiarizationConfig, items: list[EvaluationItem]
) -> dict[str, Any]:
    """Write the settings with the lowest DER (collar 0.5) on `items` into the checkpoint's `pipeline`."""
    model, _ = model_from_checkpoint(checkpoint_path)
    segmenter = TorchSegmenter(model, round(config.data.window_s * 16_000))
    base = config.pipeline_config()
    segmentations = {item.uri: DiarizationPipeline(segmenter, base).segment(item.waveform) for item in items}
    search = config.validation
    binarisations = [
        {"onset": onset, "offset": round(onset - gap, 3), "min_duration_off": gap_s}
        for onset, gap, gap_s in itertools.product(
            search.onsets, search.offset_gaps, search.min_durations_off
        )
        if onset - gap > 0
    ]
    given_count = search.oracle_num_speakers
    found = {
        _name(settings): _der(segmenter, base.model_copy(update=settings), segmentations, items, given_count)
        for settings in binarisations
    }
    best = base.model_copy(update=min(binarisations, key=lambda settings: found[_name(settings)]))
    thresholds = {
        threshold: _der(
            segmenter,
            best.model_copy(update={"clustering_threshold": threshold}),
            segmentations,
            items,
            given_count=False,
        )
        for threshold in search.thresholds
    }
    best = best.model_copy(update={"clustering_threshold": min(thresholds, key=thresholds.__getitem__)})
    checkpoint = load_checkpoint(checkpoint_path)
    checkpoint["pipeline"] = best.model_dump()
    checkpoint["metrics"]["pipeline_search"] = {
        **found,
        **{f"clustering_threshold={t} (estimated count)": der for t, der in thresholds.items()},
    }
    save_checkpoint(checkpoint_path, {k: v for k, v in checkpoint.items() if k not in ("format", "task")})
    return checkpoint["pipeline"]


def _der(
    segmenter: TorchSegmenter,
    settings: PipelineConfig,
    segmentations: dict[str, LocalSegmentation],
    items: list[EvaluationItem],
    given_count: bool,
) -> float:
    pipeline = DiarizationPipeline(segmenter, settings)
    hypotheses = {
        item.uri: pipeline.diarize_segmentation(
            segmentations[item.uri], len(item.waveform), item.num_speakers if given_count else None
        ).turns
        for item in items
    }
    return float(score(items, hypotheses)["overall"]["collar_0.5"]["der"])


def _name(settings: dict[str, float]) -> str:
    return " ".join(f"{key}={value}" for key, value in settings.items())
