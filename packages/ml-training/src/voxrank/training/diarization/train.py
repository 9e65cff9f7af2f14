"""The training loop: seeded, checkpointed, resumable to the same weights, early-stopped on dev DER, DDP."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader

from voxrank.serving.diarization import DiarizationPipeline
from voxrank.training.diarization.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from voxrank.training.diarization.config import DiarizationConfig
from voxrank.training.diarization.curves import MetricsLog, plot_curves
from voxrank.training.diarization.data.build import TrainingData, build_training_data
from voxrank.training.diarization.data.windows import StepBatches
from voxrank.training.diarization.distributed import Distributed, setup_distributed
from voxrank.training.diarization.evaluation import diarize_items, score
from voxrank.training.diarization.models import build_model, model_config
from voxrank.training.diarization.objective import DiarizationObjective
from voxrank.training.diarization.segmenter import TorchSegmenter
from voxrank.training.diarization.teacher import CACHE_NAME, centred, teacher_embeddings
from voxrank.training.diarization.tuning import tune_pipeline

LOG_EVERY = 10


@dataclass
class RunState:
    """What a resumed run needs beyond weights: where it was and how early stopping stood."""

    step: int = 0
    best_der: float = math.inf
    best_step: int = 0
    stale_evaluations: int = 0
    elapsed_s: float = 0.0
    stopped_early: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)


def train(config: DiarizationConfig, resume: bool = False, console: Console | None = None) -> Path:
    """Train as configured; returns the path of the best checkpoint."""
    console = console or Console()
    distributed = setup_distributed()
    try:
        return _train(config, resume, console, distributed)
    finally:
        distributed.close()


def _train(config: DiarizationConfig, resume: bool, console: Console, distributed: Distributed) -> Path:
    settings = config.training
    if settings.threads:
        torch.set_num_threads(settings.threads)
    torch.manual_seed(config.seed)
    output = config.output_dir
    output.mkdir(parents=True, exist_ok=True)
    model = build_model(config.model, config.model_config_values)
    values = model_config(config.model, config.model_config_values)
    data = build_training_data(config, model.hop, values.num_speakers)  # type: ignore[attr-defined]
    objective = DiarizationObjective(
        model,
        values.embedding_dim,  # type: ignore[attr-defined]
        len(data.speaker_names),
        settings.embedding_weight,
        settings.min_embedding_frames,
        margin=settings.speaker_margin,
        scale=settings.speaker_scale,
        teacher=_teacher(config, data, distributed),
        distillation_weight=settings.distillation_weight,
    ).to(distributed.device)
    optimizer = torch.optim.AdamW(
        objective.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, _warmup_cosine(settings.warmup_steps, settings.steps)
    )
    state = RunState()
    log = MetricsLog(output / "metrics.jsonl")
    if resume:
        state = _restore(output / "last.pt", config, objective, optimizer, scheduler)
        console.print(f"resuming {config.name} at step {state.step}")
    elif distributed.is_main:
        log.path.unlink(missing_ok=True)
    if distributed.is_main:
        log.truncate_after(state.step)
    trainable = DistributedDataParallel(objective) if distributed.enabled else objective
    loader = DataLoader(
        data.windows,
        batch_sampler=StepBatches(
            state.step, settings.steps, settings.batch_size, distributed.rank, distributed.world_size
        ),
        num_workers=settings.num_workers,
    )
    started = time.perf_counter() - state.elapsed_s
    with _progress(console, distributed.is_main) as progress:
        task = progress.add_task(
            f"{config.name} ({config.model})", total=settings.steps, completed=state.step
        )
        for batch in loader:
            if state.stopped_early:
                break
            objective.train()
            losses = trainable(
                *(batch[key].to(distributed.device) for key in ("waveform", "labels", "speaker_ids"))
            )
            optimizer.zero_grad(set_to_none=True)
            losses["loss"].backward()
            torch.nn.utils.clip_grad_norm_(objective.parameters(), 5.0)
            optimizer.step()
            scheduler.step()
            state.step += 1
            state.elapsed_s = time.perf_counter() - started
            progress.update(
                task, completed=state.step, description=f"{config.name} loss {losses['loss'].item():.3f}"
            )
            if distributed.is_main and (state.step % LOG_EVERY == 0 or state.step == settings.steps):
                log.write(_train_record(state, losses, float(scheduler.get_last_lr()[0])))
            if state.step % settings.eval_every == 0 or state.step == settings.steps:
                _evaluate(
                    config,
                    objective,
                    data=data,
                    state=state,
                    log=log,
                    distributed=distributed,
                    console=console,
                )
            if (
                state.step % settings.checkpoint_every == 0
                or state.step == settings.steps
                or state.stopped_early
            ):
                if distributed.is_main:
                    save_checkpoint(
                        output / "last.pt", _payload(config, objective, optimizer, scheduler, state)
                    )
                distributed.barrier()
    if distributed.is_main:
        _finish(config, data, state, log, console)
    distributed.barrier()
    return output / "best.pt"


def _teacher(config: DiarizationConfig, data: TrainingData, distributed: Distributed) -> torch.Tensor | None:
    """Teacher embeddings of the training speakers when distilling; rank 0 fills the cache first."""
    if not config.training.distillation_weight:
        return None
    cache = config.output_dir / CACHE_NAME
    if distributed.is_main:
        teacher_embeddings(data.speaker_audio, data.speaker_names, cache)
    distributed.barrier()
    return torch.from_numpy(centred(teacher_embeddings(data.speaker_audio, data.speaker_names, cache)))


def _evaluate(
    config: DiarizationConfig,
    objective: DiarizationObjective,
    *,
    data: TrainingData,
    state: RunState,
    log: MetricsLog,
    distributed: Distributed,
    console: Console,
) -> None:
    """Dev DER on rank 0; a new best is saved as best.pt; after `patience` stale evaluations, stop."""
    stop = False
    if distributed.is_main and data.validation:
        objective.eval()
        settings = config.pipeline_config()
        pipeline = DiarizationPipeline(TorchSegmenter(objective.model, settings.window_samples), settings)
        hypotheses = diarize_items(pipeline, data.validation, config.validation.oracle_num_speakers)
        der = score(data.validation, hypotheses)["overall"]["collar_0.5"]["der"]
        log.write({"step": state.step, "dev_der": der, "elapsed_s": round(state.elapsed_s, 1)})
        if der < state.best_der:
            state.best_der, state.best_step, state.stale_evaluations = der, state.step, 0
            save_checkpoint(config.output_dir / "best.pt", _model_payload(config, objective, state))
        else:
            state.stale_evaluations += 1
        console.print(
            f"step {state.step}: dev DER {100 * der:.1f}% "
            f"(best {100 * state.best_der:.1f}% at step {state.best_step})"
        )
        stop = 0 < config.training.patience <= state.stale_evaluations
    elif distributed.is_main and not data.validation:
        save_checkpoint(config.output_dir / "best.pt", _model_payload(config, objective, state))
    state.stopped_early = distributed.broadcast_flag(stop)


def _finish(
    config: DiarizationConfig, data: TrainingData, state: RunState, log: MetricsLog, console: Console
) -> None:
    best = config.output_dir / "best.pt"
    if data.tuning:
        tuned = tune_pipeline(best, config, data.tuning)
        console.print(
            f"tuned on {len(data.tuning)} validation recordings: onset {tuned['onset']}, offset "
            f"{tuned['offset']}, min_duration_off {tuned['min_duration_off']}, "
            f"clustering threshold {tuned['clustering_threshold']}"
        )
    plot_curves(log.read(), config.output_dir / "curves.png", f"{config.name}: {config.model}")
    console.print(
        f"finished {config.name} at step {state.step} in {state.elapsed_s:.0f} s; best checkpoint {best}"
    )


def _train_record(state: RunState, losses: dict[str, torch.Tensor], learning_rate: float) -> dict[str, Any]:
    record: dict[str, Any] = {key: round(float(value.detach()), 5) for key, value in losses.items()}
    return {"step": state.step, **record, "lr": learning_rate, "elapsed_s": round(state.elapsed_s, 1)}


def _warmup_cosine(warmup: int, total: int) -> Any:
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(total - warmup, 1)
        return 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))

    return factor


def _model_payload(
    config: DiarizationConfig, objective: DiarizationObjective, state: RunState
) -> dict[str, Any]:
    return {
        "model": config.model,
        "model_config": model_config(config.model, config.model_config_values).model_dump(),
        "state_dict": objective.model.state_dict(),
        "step": state.step,
        "metrics": {"dev_der_collar_0.5": state.best_der if math.isfinite(state.best_der) else None},
        "pipeline": config.pipeline_config().model_dump(),
        "config": config.dump(),
    }


def _payload(
    config: DiarizationConfig,
    objective: DiarizationObjective,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
    state: RunState,
) -> dict[str, Any]:
    return {
        **_model_payload(config, objective, state),
        "optimizer": optimizer.state_dict(),
        "classifier": objective.classifier.state_dict(),
        "scheduler": scheduler.state_dict(),
        "rng": {"torch": torch.get_rng_state()},
        "run_state": {key: value for key, value in vars(state).items() if key != "history"},
    }


def _restore(
    path: Path,
    config: DiarizationConfig,
    objective: DiarizationObjective,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LambdaLR,
) -> RunState:
    checkpoint = load_checkpoint(path, expected_model=config.model)
    if checkpoint["config"] != config.dump():
        raise CheckpointError(f"{path}: was written with a different config; resume needs the same one")
    objective.model.load_state_dict(checkpoint["state_dict"])
    objective.classifier.load_state_dict(checkpoint["classifier"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    torch.set_rng_state(checkpoint["rng"]["torch"])
    return RunState(**checkpoint["run_state"])


def _progress(console: Console, visible: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        disable=not visible,
    )
