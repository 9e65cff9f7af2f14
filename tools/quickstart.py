"""`make quickstart`: the whole system end to end on synthetic data, then everything it started stops.

Catalog in (fake DMM API -> SQLite, or the real API when VOXRANK_DMM_API_ID is set), models trained on
synthetic data, exported and published into a model repository, served over HTTP, asked to diarize a
conversation and to recommend items. Every step goes through the same console scripts a user runs.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import soundfile as sf
from rich.console import Console
from rich.table import Table

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.diarization.rttm import write_rttm
from voxrank.serving.diarization.turns import Turn

ROOT = Path(__file__).resolve().parent.parent
WORKDIR = ROOT / ".quickstart"
TRAINING_CONFIGS = ROOT / "packages" / "ml-training" / "configs"
BIN = Path(sys.executable).parent
CATALOG_ITEMS = 3000
CATALOG = WORKDIR / "catalog.sqlite"
INTERACTIONS = WORKDIR / "interactions.csv"
INTERACTION_USERS = 1000
ITEM_INDEX = WORKDIR / "item-index.npz"
MODEL_VERSION = "1.0.0"
DEMO_SEED = 7
DEMO_SPEAKERS = 3
RECALL_AT_10 = "recall@10"
# Caches survive a re-run; everything else in WORKDIR is this run's output.
KEPT_BETWEEN_RUNS = frozenset({".cache", "espeak-cache"})

console = Console()


class QuickstartError(RuntimeError):
    """A step failed; the message names the step and where its log is."""


@dataclass
class Report:
    started: float = field(default_factory=time.monotonic)
    steps: list[tuple[str, float, str]] = field(default_factory=list)
    artefacts: dict[str, Path] = field(default_factory=dict)

    def add(self, step: str, seconds: float, outcome: str) -> None:
        self.steps.append((step, seconds, outcome))
        console.print(f"[green]✓[/green] {step} [dim]({seconds:.1f} s)[/dim] {outcome}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def script(name: str, *arguments: object) -> list[str]:
    """A console script of this environment and its arguments, ready for subprocess."""
    return [str(BIN / name), *(str(argument) for argument in arguments)]


def log_path(name: str) -> Path:
    return WORKDIR / "logs" / f"{name}.log"


def run(name: str, command: Sequence[str], env: dict[str, str] | None = None) -> None:
    """Run a console script in WORKDIR (configs' relative paths land there); output goes to a log."""
    log = log_path(name)
    with log.open("w", encoding="utf-8") as handle:
        completed = subprocess.run(
            list(command),
            cwd=WORKDIR,
            env={**os.environ, **(env or {})},
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-15:])
        raise QuickstartError(f"step {name!r} failed (exit {completed.returncode}); log: {log}\n{tail}")


@contextmanager
def background(name: str, command: Sequence[str], ready_url: str, env: dict[str, str] | None = None):
    """Start a server in its own process group, wait until `ready_url` answers, stop it on exit."""
    log = log_path(name)
    handle = log.open("w", encoding="utf-8")
    process = subprocess.Popen(
        list(command),
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_until_ready(name, process, ready_url, log)
        yield process
    finally:
        stop(process)
        handle.close()


def wait_until_ready(
    name: str, process: subprocess.Popen, url: str, log: Path, timeout_s: float = 120
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise QuickstartError(f"{name} exited with {process.returncode} before it was ready; log: {log}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise QuickstartError(f"{name} was not ready at {url} within {timeout_s:.0f} s; log: {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


@contextmanager
def timed(report: Report, step: str) -> Iterator[list[str]]:
    outcome: list[str] = []
    began = time.monotonic()
    with console.status(f"{step} …"):
        yield outcome
    report.add(step, time.monotonic() - began, " ".join(outcome))


def sync_catalog(report: Report, database_url: str) -> None:
    summary = WORKDIR / "sync-summary.json"
    command = script(
        "voxrank-sync", "run", "--database-url", database_url, "--quiet", "--summary-json", summary
    )
    if os.environ.get("VOXRANK_DMM_API_ID"):
        with timed(report, "sync the catalog from the DMM API") as outcome:
            run("sync", command)
            outcome.append(_sync_figures(summary))
        return
    port = free_port()
    fake_api = script("voxrank-sync", "fake-api", "--items", str(CATALOG_ITEMS), "--seed", "1")
    fake_api += ["--port", str(port)]
    base_url = f"http://127.0.0.1:{port}/affiliate/v3"
    credentials = {"VOXRANK_DMM_API_ID": "quickstart", "VOXRANK_DMM_AFFILIATE_ID": "quickstart-990"}
    with (
        background("fake-api", fake_api, f"{base_url}/FloorList"),
        timed(
            report, f"sync the FANZA site of a {CATALOG_ITEMS}-item catalog from the bundled fake DMM API"
        ) as outcome,
    ):
        run("sync", [*command, "--api-base-url", base_url], env=credentials)
        outcome.append(_sync_figures(summary))
    report.artefacts["catalog (SQLite)"] = CATALOG


def _sync_figures(summary: Path) -> str:
    data = json.loads(summary.read_text(encoding="utf-8"))
    return f"{data.get('items_written', data.get('items', '?'))} items, {data.get('requests', '?')} requests"


def train_and_publish_diarization(report: Report, repository: Path) -> None:
    config = TRAINING_CONFIGS / "diarization" / "quickstart.toml"
    run_dir = WORKDIR / "runs" / "diarization" / "quickstart"
    with timed(report, "train the fastcnn diarization model on synthetic eSpeak NG speakers") as outcome:
        run("train-diarization", script("voxrank-train", "diarization", "--config", config))
        outcome.append(f"checkpoint {(run_dir / 'best.pt').relative_to(ROOT)}")
    with timed(report, "export fastcnn to ONNX, validate against torch, publish") as outcome:
        export = script("voxrank-train", "export", "fastcnn", "--checkpoint", run_dir / "best.pt")
        run("export-diarization", [*export, "--publish", str(repository), "--version", MODEL_VERSION])
        outcome.append(f"diarization-fastcnn {MODEL_VERSION}")
    report.artefacts["diarization run (checkpoints, curves)"] = run_dir


def simulate_interactions(report: Report) -> None:
    from voxrank.serving.recommend.catalog import read_catalog
    from voxrank.training.twotower.simulate import SimulationConfig
    from voxrank.training.twotower.simulate import simulate_interactions as simulate

    with timed(report, "simulate users' interactions over the synced catalog") as outcome:
        catalog = read_catalog(f"sqlite:///{CATALOG}")
        interactions = simulate(catalog, SimulationConfig(users=INTERACTION_USERS, seed=0))
        with INTERACTIONS.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["user_id", "item_id", "timestamp", "weight"])
            for event in interactions:
                writer.writerow([event.user_id, event.item_id, event.timestamp.isoformat(), event.weight])
        outcome.append(f"{len(interactions)} interactions of {INTERACTION_USERS} users")
    report.artefacts["interaction log"] = INTERACTIONS


def train_and_publish_two_tower(report: Report, repository: Path, database_url: str) -> None:
    config = TRAINING_CONFIGS / "twotower" / "quickstart.toml"
    run_dir = WORKDIR / "runs" / "twotower-quickstart"
    checkpoint = run_dir / "checkpoints" / "last.pt"
    with timed(report, "train the two-tower model and evaluate it against baselines") as outcome:
        run("train-two-tower", script("voxrank-train", "twotower", "--config", config))
        outcome.append(_two_tower_figures(run_dir / "evaluation.json"))
    with timed(report, "export both towers to ONNX, validate, publish; embed the catalog") as outcome:
        for tower in ("two-tower-user", "two-tower-item"):
            export = script("voxrank-train", "export", tower, "--checkpoint", checkpoint)
            run(f"export-{tower}", [*export, "--publish", str(repository), "--version", MODEL_VERSION])
        build = script("voxrank-serve", "index", "build", "-r", repository, "--catalog", database_url)
        run("index-build", [*build, "--store", f"exact:{ITEM_INDEX}"])
        outcome.append(f"towers {MODEL_VERSION}, item vectors in {ITEM_INDEX.relative_to(ROOT)}")
    report.artefacts["two-tower run (checkpoints, curves, evaluation)"] = run_dir
    report.artefacts["item vectors"] = ITEM_INDEX


def _two_tower_figures(evaluation: Path) -> str:
    methods = json.loads(evaluation.read_text(encoding="utf-8"))["methods"]
    recall = {name: figures[RECALL_AT_10] for name, figures in methods.items()}
    return ", ".join(f"{name} Recall@10 {value:.3f}" for name, value in recall.items())


def serve_and_ask(report: Report, repository: Path, database_url: str) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        "VOXRANK_RECOMMEND_STORE": f"exact:{ITEM_INDEX}",
        "VOXRANK_RECOMMEND_HISTORIES": str(INTERACTIONS),
        "VOXRANK_WEB_CATALOG": database_url,
    }
    server = script("voxrank-serve", "serve", "-r", repository, "--port", str(port))
    with (
        background("server", server, f"{base_url}/readyz", env=env),
        timed(report, f"serve the models at {base_url} and ask them") as outcome,
    ):
        outcome.append(diarize_conversation(base_url))
        outcome.append(recommend(base_url))


def diarize_conversation(base_url: str) -> str:
    audio, reference = write_demo_conversation(WORKDIR / "conversation")
    response = httpx.post(
        f"{base_url}/v1/diarize",
        files={"file": (audio.name, audio.read_bytes(), "audio/wav")},
        params={"num_speakers": DEMO_SPEAKERS},
        timeout=120,
    )
    response.raise_for_status()
    hypothesis = [Turn(turn["start"], turn["end"], turn["speaker"]) for turn in response.json()["turns"]]
    table = Table(title=f"who spoke when in {audio.relative_to(ROOT)} (num_speakers={DEMO_SPEAKERS})")
    for column in ("speaker", "start s", "end s"):
        table.add_column(column)
    for turn in hypothesis[:12]:
        table.add_row(turn.speaker, f"{turn.start:.2f}", f"{turn.end:.2f}")
    console.print(table)
    der = diarization_error_rate(reference, hypothesis, sf.info(audio).duration)
    return f"{len(hypothesis)} turns, {len({t.speaker for t in hypothesis})} speakers, DER {der:.1%}"


def write_demo_conversation(stem: Path) -> tuple[Path, list[Turn]]:
    """Three eSpeak NG voices the model never heard take turns; the reference turns are exact."""
    from voxrank.training.diarization.data.espeak import synthetic_utterances, synthetic_voices

    voices = synthetic_voices(DEMO_SPEAKERS, seed=DEMO_SEED)
    cache = WORKDIR / "espeak-cache"
    utterances = {voice.name: synthetic_utterances(voice, 3, cache, seed=DEMO_SEED) for voice in voices}
    pause = np.zeros(int(0.4 * SAMPLE_RATE), dtype=np.float32)
    pieces: list[np.ndarray] = []
    reference: list[Turn] = []
    position = 0
    for index in range(3 * DEMO_SPEAKERS):
        voice = voices[index % DEMO_SPEAKERS].name
        speech = utterances[voice][index // DEMO_SPEAKERS]
        reference.append(Turn(position / SAMPLE_RATE, (position + len(speech)) / SAMPLE_RATE, voice))
        pieces += [speech, pause]
        position += len(speech) + len(pause)
    audio = stem.with_suffix(".wav")
    sf.write(audio, np.concatenate(pieces), SAMPLE_RATE, subtype="PCM_16")
    write_rttm({stem.name: reference}, stem.with_suffix(".rttm"))
    return audio, reference


def diarization_error_rate(reference: list[Turn], hypothesis: list[Turn], duration_s: float) -> float:
    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    def annotation(turns: list[Turn]) -> Annotation:
        result = Annotation()
        for turn in turns:
            result[Segment(turn.start, turn.end)] = turn.speaker
        return result

    metric = DiarizationErrorRate(collar=0.5)
    uem = Timeline([Segment(0, duration_s)])
    return float(metric(annotation(reference), annotation(hypothesis), uem=uem))


def recommend(base_url: str) -> str:
    user = httpx.get(f"{base_url}/ui/users", params={"limit": 1}, timeout=30).json()["users"][0]["user_id"]
    response = httpx.post(f"{base_url}/v1/recommendations", json={"user_id": user, "k": 5}, timeout=60)
    response.raise_for_status()
    items = response.json()["items"]
    titles = httpx.post(
        f"{base_url}/ui/titles", json={"item_ids": [item["item_id"] for item in items]}, timeout=30
    ).json()
    table = Table(title=f"top 5 items for user {user}")
    for column in ("content_id", "score", "title"):
        table.add_column(column)
    for item in items:
        table.add_row(
            item["item_id"], f"{item['score']:.3f}", str(titles.get("titles", {}).get(item["item_id"], ""))
        )
    console.print(table)
    return f"{len(items)} recommendations for user {user}"


def print_summary(report: Report, repository: Path) -> None:
    report.artefacts["model repository"] = repository
    report.artefacts["logs"] = WORKDIR / "logs"
    table = Table(title="voxrank quickstart: where everything is")
    table.add_column("artefact")
    table.add_column("path")
    for name, path in report.artefacts.items():
        table.add_row(name, str(path.relative_to(ROOT)))
    console.print(table)
    console.print(
        f"[bold green]done in {time.monotonic() - report.started:.0f} s[/bold green]; nothing left running"
    )


def fresh_workdir() -> None:
    """Start from an empty workspace: published model versions are immutable, so a second run would
    find its 1.0.0 taken, and a finished sync would have nothing left to show."""
    if WORKDIR.is_dir():
        for entry in WORKDIR.iterdir():
            if entry.name in KEPT_BETWEEN_RUNS:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    (WORKDIR / "logs").mkdir(parents=True, exist_ok=True)


def main() -> int:
    fresh_workdir()
    repository = WORKDIR / "model-repository"
    database_url = f"sqlite:///{CATALOG}"
    report = Report()
    try:
        sync_catalog(report, database_url)
        train_and_publish_diarization(report, repository)
        simulate_interactions(report)
        train_and_publish_two_tower(report, repository, database_url)
        serve_and_ask(report, repository, database_url)
    except QuickstartError as error:
        console.print(f"[bold red]quickstart failed[/bold red]: {error}")
        return 1
    print_summary(report, repository)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
