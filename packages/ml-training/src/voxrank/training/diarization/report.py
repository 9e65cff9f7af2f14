"""Evaluating a checkpoint on a corpus split beside the two baselines; JSON and Markdown reports."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from voxrank.serving.diarization import DiarizationPipeline, PipelineConfig
from voxrank.training.diarization.baselines import mfcc_clustering, oracle_one_speaker
from voxrank.training.diarization.checkpoint import model_from_checkpoint
from voxrank.training.diarization.data.corpus import load_corpus
from voxrank.training.diarization.evaluation import (
    COLLARS,
    EvaluationItem,
    diarize_items,
    oracle_linking,
    score,
)
from voxrank.training.diarization.segmenter import TorchSegmenter


def evaluate_checkpoint(
    checkpoint_path: Path, root: Path, split: str, oracle_num_speakers: bool, output_dir: Path
) -> dict[str, Any]:
    """Score the model (through the serving pipeline) and both baselines; write evaluation.{json,md}."""
    model, checkpoint = model_from_checkpoint(checkpoint_path)
    config = PipelineConfig(**checkpoint["pipeline"])
    items = [EvaluationItem.from_recording(recording) for recording in load_corpus(root, split)]
    started = time.perf_counter()
    pipeline = DiarizationPipeline(TorchSegmenter(model, config.window_samples), config)
    systems = {
        f"{checkpoint['model']} (step {checkpoint['step']})": diarize_items(
            pipeline, items, oracle_num_speakers
        )
    }
    model_seconds = time.perf_counter() - started
    systems[f"{checkpoint['model']}, oracle linking (diagnostic)"] = {
        item.uri: oracle_linking(pipeline, item) for item in items
    }
    systems["baseline: oracle speech, one speaker"] = {item.uri: oracle_one_speaker(item) for item in items}
    systems["baseline: oracle speech, MFCC statistics + AHC"] = {
        item.uri: mfcc_clustering(item, item.num_speakers if oracle_num_speakers else None) for item in items
    }
    report = {
        "checkpoint": str(checkpoint_path),
        "model": checkpoint["model"],
        "data": str(root),
        "split": split,
        "oracle_num_speakers": oracle_num_speakers,
        "pipeline": config.model_dump(),
        "model_seconds": round(model_seconds, 3),
        "systems": {name: score(items, hypotheses) for name, hypotheses in systems.items()},
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "evaluation.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    (output_dir / "evaluation.md").write_text(markdown(report), encoding="utf-8")
    return report


def markdown(report: dict[str, Any]) -> str:
    count = "oracle number of speakers" if report["oracle_num_speakers"] else "estimated number of speakers"
    lines = [
        f"# Diarization evaluation: {report['model']} on {Path(report['data']).name} / {report['split']}",
        "",
        f"Checkpoint `{Path(report['checkpoint']).name}`; {count}; pyannote.metrics DER, overlap scored.",
        "",
        "| system | collar | DER % | missed % | false alarm % | confusion % |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, result in report["systems"].items():
        for collar in COLLARS:
            figures = result["overall"][f"collar_{collar:g}"]
            lines.append(
                f"| {name} | {collar:g} s | {100 * figures['der']:.1f} | {100 * figures['missed']:.1f} "
                f"| {100 * figures['false']:.1f} | {100 * figures['confusion']:.1f} |"
            )
    lines += ["", "## Per file (collar 0.5 s, DER %)", "", "| file | " + " | ".join(report["systems"]) + " |"]
    lines.append("| --- |" + " --- |" * len(report["systems"]))
    files = next(iter(report["systems"].values()))["files"]
    for uri in files:
        cells = [
            f"{100 * result['files'][uri]['collar_0.5']['der']:.1f}" for result in report["systems"].values()
        ]
        lines.append(f"| {uri} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
