"""A bounded loopback load test of hot reload: N requests at concurrency C while R new versions swap in.

Each reload publishes the serving model again under the next patch version (a re-export), through the
repository API, once a share of the requests has completed; the run then waits until /v1/models shows
the new version before the next reload. Requests go on until the last reload has swapped in (so a short
run may send a few more than asked), so every reload happens under load. Any failed request (non-2xx or
transport error) fails the run. Needs httpx (the `test` or `bench` extra).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx

from voxrank.serving.audio import SAMPLE_RATE
from voxrank.serving.bench.measure import latency_stats
from voxrank.serving.repository import ModelRepository, ModelVersion

SWAP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class ReloadLoadPlan:
    requests: int = 2000
    concurrency: int = 16
    reloads: int = 20
    timeout_s: float = 30.0
    """Per request."""


@dataclass
class ReloadLoadResult:
    requests: int
    concurrency: int
    reloads_planned: int
    reloads_during_load: int
    failures: int
    statuses: dict[str, int]
    versions_served: list[str]
    p50_ms: float
    p99_ms: float
    max_ms: float
    throughput_per_s: float
    elapsed_s: float
    swap_ms: list[float] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.failures == 0 and self.reloads_during_load == self.reloads_planned

    def to_json(self) -> dict[str, object]:
        return asdict(self) | {"passed": self.passed}


def republish(repository: Path, name: str, version: str) -> ModelVersion:
    """Publish the newest version's model file again as `version` (what a patch re-export does)."""
    store = ModelRepository(repository)
    newest = store.resolve(name)
    manifest = newest.manifest.model_copy(update={"version": version})
    return store.publish(newest.model_path, manifest, verify_golden=False)


def next_patch(version: str, step: int) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch + step}"


@dataclass(frozen=True)
class Swap:
    version: str
    at_s: float
    """When /v1/models first showed the version, from the start of the load."""
    swap_ms: float
    """From the start of publication to the version serving."""


async def run_reload_load(
    base_url: str, repository: Path, model: str, audio: bytes, plan: ReloadLoadPlan
) -> ReloadLoadResult:
    """Run the plan against a server on `base_url` that serves `model` from `repository`."""
    latencies_ns: list[int] = []
    statuses: dict[str, int] = {}
    versions: set[str] = set()
    issued = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal issued
        # At least `plan.requests`, and on until the last reload has swapped in: every reload is under load.
        while issued < plan.requests or not reloading.done():
            issued += 1
            started = time.perf_counter_ns()
            status = await _diarize(client, model, audio, versions)
            latencies_ns.append(time.perf_counter_ns() - started)
            statuses[status] = statuses.get(status, 0) + 1

    pool = httpx.Limits(max_connections=plan.concurrency + 1, max_keepalive_connections=plan.concurrency + 1)
    async with httpx.AsyncClient(base_url=base_url, timeout=plan.timeout_s, limits=pool) as client:
        started = time.perf_counter()
        reloader = Reloader(client, repository, model, plan, started)
        reloading = asyncio.create_task(reloader.run(lambda: len(latencies_ns)))
        await asyncio.gather(*(worker(client) for _ in range(plan.concurrency)))
        elapsed = time.perf_counter() - started
        if reloading.exception() is not None:
            raise RuntimeError(f"a reload failed: {reloading.exception()}")
    swaps = reloader.swaps
    latency = latency_stats(latencies_ns)
    return ReloadLoadResult(
        requests=len(latencies_ns),
        concurrency=plan.concurrency,
        reloads_planned=plan.reloads,
        reloads_during_load=sum(1 for swap in swaps if swap.at_s <= elapsed),
        failures=len(latencies_ns) - statuses.get("200", 0),
        statuses=statuses,
        versions_served=sorted(versions, key=lambda text: tuple(int(part) for part in text.split("."))),
        p50_ms=latency.p50_ms,
        p99_ms=latency.p99_ms,
        max_ms=latency.max_ms,
        throughput_per_s=len(latencies_ns) / elapsed,
        elapsed_s=elapsed,
        swap_ms=[round(swap.swap_ms, 1) for swap in swaps],
    )


async def _diarize(client: httpx.AsyncClient, model: str, audio: bytes, versions: set[str]) -> str:
    """The response status as text, or the transport error's name."""
    try:
        response = await client.post(
            "/v1/diarize", params={"model": model}, content=audio, headers={"content-type": "audio/wav"}
        )
    except httpx.HTTPError as error:
        return type(error).__name__
    if response.status_code == 200:
        versions.add(response.json()["version"])
    return str(response.status_code)


@dataclass
class Reloader:
    """Reload k starts once k/(R+1) of the requests completed, and ends when the server serves it."""

    client: httpx.AsyncClient
    repository: Path
    model: str
    plan: ReloadLoadPlan
    started: float
    swaps: list[Swap] = field(default_factory=list)

    async def run(self, completed: Callable[[], int]) -> None:
        base_version = str(ModelRepository(self.repository).resolve(self.model).version)
        for step in range(1, self.plan.reloads + 1):
            while completed() < step * self.plan.requests / (self.plan.reloads + 1):
                await asyncio.sleep(0.002)
            await self._swap_to(next_patch(base_version, step))

    async def _swap_to(self, version: str) -> None:
        begun = time.perf_counter()
        await asyncio.to_thread(republish, self.repository, self.model, version)
        while (await self.client.get(f"/v1/models/{self.model}")).json()["version"] != version:
            if time.perf_counter() - begun > SWAP_TIMEOUT_S:
                raise TimeoutError(
                    f"{self.model} {version} was not serving {SWAP_TIMEOUT_S:.0f} s after publication"
                )
            await asyncio.sleep(0.01)
        now = time.perf_counter()
        self.swaps.append(Swap(version, now - self.started, (now - begun) * 1000))


def prepare_and_run(
    plan: ReloadLoadPlan, source: Path | None, model: str | None, audio_file: Path | None
) -> ReloadLoadResult:
    """Copy the model (or build the tone model) into a scratch repository, serve it, run the plan."""
    from voxrank.serving.bench.server import running_server

    with tempfile.TemporaryDirectory(prefix="voxrank-reload-load-") as scratch:
        repository = Path(scratch) / "repository"
        name = _scratch_model(repository, source, model)
        audio = audio_file.read_bytes() if audio_file else _dialogue_wav()
        settings = {
            "diarization_model": name,
            "reload": "watch",
            "reload_debounce_ms": "50",
            "intra_op_threads": "1",
            "max_queue": str(4 * plan.concurrency),
            "log_level": "warning",
        }
        with running_server(repository, settings, Path(scratch) / "server.log") as url:
            return asyncio.run(run_reload_load(url, repository, name, audio, plan))


def _scratch_model(repository: Path, source: Path | None, model: str | None) -> str:
    if source is None or model is None:
        from voxrank.serving.tone_model import publish_tone_model

        return publish_tone_model(repository, "diarization-tone", "1.0.0").name
    newest = ModelRepository(source).resolve(model)
    ModelRepository(repository).publish(newest.model_path, newest.manifest)
    return model


def _dialogue_wav() -> bytes:
    import soundfile as sf

    from voxrank.serving.tone_model import ToneTurn, tone_conversation

    buffer = io.BytesIO()
    sf.write(
        buffer, tone_conversation([ToneTurn(index % 2, 1.0) for index in range(5)]), SAMPLE_RATE, format="WAV"
    )
    return buffer.getvalue()
