"""Train the towers: deterministic batches, checkpoints, resume, metrics JSONL, DDP under torchrun.

Batch order depends only on (seed, epoch) and the hard-negative pool only on (seed, step), so a run
resumed from a checkpoint takes exactly the batches the uninterrupted run would have taken. Under
`torchrun`, each process takes its share of every global batch; negatives are in-batch per process.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from rich.progress import Progress
from torch import distributed
from torch.nn.parallel import DistributedDataParallel

from voxrank.serving.recommend.features import FeatureSpec
from voxrank.training.twotower.checkpoint import load_checkpoint, save_checkpoint
from voxrank.training.twotower.config import TwoTowerTrainingConfig
from voxrank.training.twotower.data import load_split
from voxrank.training.twotower.embed import tensors
from voxrank.training.twotower.evaluate import evaluate, write_evaluation
from voxrank.training.twotower.examples import ExampleSet
from voxrank.training.twotower.loss import in_batch_softmax_loss
from voxrank.training.twotower.model import TwoTower, TwoTowerConfig
from voxrank.training.twotower.report import write_training_curve
from voxrank.training.twotower.split import TimeSplit


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


@contextmanager
def distributed_context() -> Iterator[Distributed]:
    """A process group when started by torchrun (WORLD_SIZE > 1), nothing otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        yield Distributed()
        return
    distributed.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    try:
        yield Distributed(distributed.get_rank(), world_size)
    finally:
        distributed.destroy_process_group()


@dataclass
class TrainingRun:
    model: TwoTower
    split: TimeSplit
    checkpoint: Path
    evaluation: dict[str, Any] | None


def _epoch_order(seed: int, epoch: int, size: int) -> np.ndarray:
    return np.random.default_rng([seed, epoch]).permutation(size)


def build_spec(config: TwoTowerTrainingConfig, split: TimeSplit) -> FeatureSpec:
    return FeatureSpec(**config.features.model_dump()).fitted(split.catalog)


class Trainer:
    def __init__(self, config: TwoTowerTrainingConfig, split: TimeSplit, context: Distributed) -> None:
        self.config, self.split, self.context = config, split, context
        torch.manual_seed(config.train.seed)
        self.spec = build_spec(config, split)
        self.examples = ExampleSet(split.catalog, split.histories, self.spec)
        self.model_config = TwoTowerConfig(features=self.spec, **config.model.model_dump())
        self.model = TwoTower(self.model_config)
        self.optimizer = torch.optim.Adam(
            self.model.parameters(), lr=config.train.learning_rate, weight_decay=config.train.weight_decay
        )
        self.forward = DistributedDataParallel(self.model) if context.world_size > 1 else self.model
        self.log_q = torch.from_numpy(self.examples.item_log_q)
        self.steps_per_epoch = math.ceil(len(self.examples) / config.train.batch_size)
        self.total_steps = self.steps_per_epoch * config.train.epochs
        self.step = 0
        self.checkpoint_path = config.output_dir / "checkpoints" / "last.pt"
        self.metrics_path = config.output_dir / "metrics.jsonl"

    def resume(self) -> None:
        """Continue from the last checkpoint of this output directory (from scratch if there is none)."""
        if not self.checkpoint_path.is_file():
            return
        checkpoint = load_checkpoint(self.checkpoint_path)
        if checkpoint["config"] != self.config.model_dump(mode="json"):
            raise ValueError(
                f"{self.checkpoint_path} was written with another configuration; use a new output_dir"
            )
        self.model.load_state_dict(checkpoint["state_dict"])
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.step = int(checkpoint["step"])
        torch.set_rng_state(checkpoint["rng"]["torch"])
        if self.metrics_path.is_file():
            kept = [
                line
                for line in self.metrics_path.read_text(encoding="utf-8").splitlines()
                if json.loads(line).get("step", 0) <= self.step
            ]
            self.metrics_path.write_text("".join(line + "\n" for line in kept), encoding="utf-8")

    def _batch_indices(self, step: int) -> np.ndarray:
        epoch, offset = divmod(step, self.steps_per_epoch)
        size = self.config.train.batch_size
        indices = _epoch_order(self.config.train.seed, epoch, len(self.examples))[
            offset * size : (offset + 1) * size
        ]
        return indices[self.context.rank :: self.context.world_size]

    def _loss(self, step: int) -> torch.Tensor:
        train = self.config.train
        users, items, item_indices = self.examples.batch(self._batch_indices(step).tolist())
        pool_indices = None
        if train.hard_negatives:
            pool_rng = np.random.default_rng([train.seed, step, 1])
            pool_indices = pool_rng.integers(0, len(self.split.catalog), size=train.negative_pool)
        pool = tensors(self.examples.item_inputs(pool_indices)) if pool_indices is not None else None
        user_vectors, item_vectors, pool_vectors = self.forward(tensors(users), tensors(items), pool)
        keys = torch.from_numpy(item_indices)
        return in_batch_softmax_loss(
            user_vectors,
            item_vectors,
            keys,
            item_log_q=self.log_q[keys] if train.logq_correction else None,
            temperature=train.temperature,
            pool=pool_vectors,
            pool_keys=torch.from_numpy(pool_indices) if pool_indices is not None else None,
            hard_negatives=train.hard_negatives,
        )

    def _save(self, metrics: dict[str, float]) -> None:
        if self.context.is_main:
            save_checkpoint(
                self.checkpoint_path,
                {
                    "model_config": self.model_config.model_dump(mode="json"),
                    "state_dict": self.model.state_dict(),
                    "optimizer": self.optimizer.state_dict(),
                    "step": self.step,
                    "rng": {"torch": torch.get_rng_state()},
                    "metrics": metrics,
                    "config": self.config.model_dump(mode="json"),
                },
            )

    def log_row(self, row: dict[str, Any]) -> None:
        if self.context.is_main:
            with self.metrics_path.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(row) + "\n")

    def fit(self) -> None:
        self.config.output_dir.mkdir(parents=True, exist_ok=True)
        train = self.config.train
        started = time.perf_counter()
        running: list[float] = []
        self.model.train()
        with Progress(disable=not self.context.is_main) as progress:
            task = progress.add_task("two-tower", total=self.total_steps, completed=self.step)
            while self.step < self.total_steps:
                loss = self._loss(self.step)
                self.optimizer.zero_grad(set_to_none=True)
                loss.backward()
                self.optimizer.step()
                self.step += 1
                running.append(loss.item())
                progress.update(task, advance=1, description=f"two-tower loss {np.mean(running[-20:]):.3f}")
                if self.step % train.log_every == 0 or self.step == self.total_steps:
                    epoch = (self.step - 1) // self.steps_per_epoch
                    row = {
                        "step": self.step,
                        "epoch": epoch,
                        "loss": float(np.mean(running)),
                        "elapsed_s": time.perf_counter() - started,
                    }
                    self.log_row(row)
                    running = []
                if self.step % train.checkpoint_every == 0 or self.step == self.total_steps:
                    self._save({"loss": loss.item()})


def train(config: TwoTowerTrainingConfig, resume: bool = False, run_evaluation: bool = True) -> TrainingRun:
    """Train (or continue) the run in `config.output_dir`, then evaluate it against the baselines."""
    torch.set_num_threads(config.train.threads)
    split = load_split(config.data)
    with distributed_context() as context:
        trainer = Trainer(config, split, context)
        if resume:
            trainer.resume()
        trainer.fit()
        results = None
        if context.is_main:
            write_training_curve(trainer.metrics_path, config.output_dir / "training_curve.png")
            if run_evaluation:
                results = evaluate(
                    trainer.model.eval(), split, config.evaluation.ks, config.evaluation.baselines
                )
                write_evaluation(results, config.output_dir)
                trainer.log_row({"step": trainer.step, "evaluation": results["methods"]})
    return TrainingRun(trainer.model, split, trainer.checkpoint_path, results)
