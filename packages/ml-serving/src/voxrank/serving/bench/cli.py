"""`voxrank-bench`: measure models, the pipeline and the HTTP server; merge, plot and publish results."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from voxrank.serving.bench import plots
from voxrank.serving.bench.cli_options import (
    DEFAULT_BATCHES,
    DEFAULT_INPUT_S,
    Batches,
    InputLengths,
    Out,
    Quick,
    Threads,
    collect,
    settings,
)
from voxrank.serving.bench.environment import usable_cpu_count
from voxrank.serving.bench.gpu import gpu_plan
from voxrank.serving.bench.model import ModelTarget, run_model_mode, workloads
from voxrank.serving.bench.providers import ProviderError, require_gpu
from voxrank.serving.bench.report import MARKDOWN_FILE, RESULT_FILE, merge, read_mode_reports, to_markdown
from voxrank.serving.bench.schema import BenchmarkReport
from voxrank.serving.bench.targets import NoModelsError, from_files, from_repository

DOCS_RESULTS = Path("docs/results")

app = typer.Typer(help="Benchmark voxrank's models, pipeline and server; results as JSON, Markdown and PNG.")
console = Console()

Repository = Annotated[
    Path | None, typer.Option("--repository", "-r", help="Model repository to take the latest models from.")
]
Models = Annotated[
    list[str] | None,
    typer.Option("--model", "-m", help="[NAME[:PRECISION]=]PATH of an ONNX file (repeatable)."),
]
Only = Annotated[
    list[str] | None, typer.Option("--only", help="Model names to keep (repeatable); default: all.")
]
RunDir = Annotated[Path, typer.Argument(help="A run folder holding one result file (JSON) per mode.")]


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]error:[/red] {message}", soft_wrap=True)
    return typer.Exit(code=2)


def _targets(repository: Path | None, models: list[str] | None, only: list[str] | None) -> list[ModelTarget]:
    try:
        if models:
            return from_files(models)
        if repository is None:
            raise NoModelsError("give --repository DIR or --model PATH")
        return from_repository(repository, names=only)
    except (NoModelsError, FileNotFoundError) as error:
        raise _fail(str(error)) from error


@app.command()
def model(
    *,
    out: Out,
    repository: Repository = None,
    models: Models = None,
    only: Only = None,
    provider: Annotated[list[str] | None, typer.Option(help="cpu, cuda or tensorrt (repeatable).")] = None,
    batch: Batches = None,
    input_s: InputLengths = None,
    threads: Threads = 1,
    io_binding: Annotated[bool, typer.Option(help="Bind inputs and outputs to the device.")] = False,
    quick: Quick = False,
) -> None:
    """In-process ONNX Runtime latency per model x precision x provider x batch x input length."""
    targets = _targets(repository, models, only)
    plan = workloads(
        provider or ["cpu"], batch or DEFAULT_BATCHES, input_s or DEFAULT_INPUT_S, threads, io_binding
    )
    collect(run_model_mode(targets, plan, settings(quick)), len(targets) * len(plan), out, "model", console)


@app.command()
def gpu(
    *,
    out: Out,
    repository: Repository = None,
    models: Models = None,
    only: Only = None,
    input_s: Annotated[float, typer.Option(help="Input length in seconds.")] = 5.0,
    allow_cpu: Annotated[bool, typer.Option(help="Run on CPU when no CUDA provider exists.")] = False,
    quick: Quick = False,
) -> None:
    """GPU suite: CUDA and TensorRT providers, fp16, IO binding, batch sweep. Fails fast without CUDA."""
    try:
        providers = require_gpu(allow_cpu)
    except ProviderError as error:
        raise _fail(str(error)) from error
    targets = _targets(repository, models, only)
    plans = {target: gpu_plan(providers, target, input_s, threads=1) for target in targets}
    measurements = (
        m for target, plan in plans.items() for m in run_model_mode([target], plan, settings(quick))
    )
    collect(measurements, sum(len(plan) for plan in plans.values()), out, "gpu", console)


@app.command()
def pipeline(
    *,
    out: Out,
    repository: Repository = None,
    models: Models = None,
    only: Only = None,
    precision: Annotated[
        list[str] | None, typer.Option(help="Precisions to keep (repeatable); default all.")
    ] = None,
    minutes: Annotated[
        list[float] | None, typer.Option(help="Recording lengths (repeatable); default 10, 60.")
    ] = None,
    cores: Annotated[int, typer.Option(help="CPUs to pin the run to (and ORT threads).")] = 1,
) -> None:
    """Real-time factor of full diarization over long synthetic recordings, pinned to `cores` CPUs."""
    from voxrank.serving.bench.pipeline import run_pipeline_mode

    targets = [t for t in _targets(repository, models, only) if not precision or t.precision in precision]
    if not targets:
        raise _fail(f"no model has precision {precision}")
    lengths = minutes or [10.0, 60.0]
    collect(run_pipeline_mode(targets, lengths, cores), len(targets) * len(lengths), out, "pipeline", console)


def _server_settings(pairs: list[str]) -> dict[str, str]:
    chosen = {
        "reload": "off",
        "log_level": "warning",
        "intra_op_threads": "1",
        "max_concurrency": str(usable_cpu_count()),
        "max_queue": "256",
    }
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator:
            raise _fail(f"server setting {pair!r} is not KEY=VALUE")
        chosen[key.lower()] = value
    return chosen


@app.command()
def http(
    *,
    out: Out,
    url: Annotated[
        str | None, typer.Option(help="A running server on loopback, e.g. http://127.0.0.1:8000.")
    ] = None,
    repository: Annotated[
        Path | None,
        typer.Option("--repository", "-r", help="Start voxrank-serve on this repository instead."),
    ] = None,
    server_setting: Annotated[
        list[str] | None, typer.Option(help="KEY=VALUE serving setting for the started server (repeatable).")
    ] = None,
    audio_s: Annotated[float, typer.Option(help="Seconds of audio per /v1/diarize request.")] = 5.0,
    concurrency: Annotated[
        list[int] | None, typer.Option(help="Closed-loop levels (repeatable); default 1 2 4 8 16 32 64.")
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Open-loop requests/s; default half the best closed loop.")
    ] = None,
    open_loop_s: Annotated[float, typer.Option(help="Open-loop duration in seconds (0 skips it).")] = 10.0,
    window_s: Annotated[float, typer.Option(help="Measurement window in seconds.")] = 1.0,
    max_requests: Annotated[int, typer.Option(help="Most requests per load level.")] = 3000,
    api_key: Annotated[
        str | None, typer.Option(envvar="VOXRANK_BENCH_API_KEY", help="API key to send.")
    ] = None,
) -> None:
    """End-to-end load on voxrank-serve over loopback: closed-loop sweep, one open-loop rate, /healthz."""
    try:
        from voxrank.serving.bench.http_mode import run_http_mode
        from voxrank.serving.bench.loadtest import LoadLimits, NotLoopbackError
        from voxrank.serving.bench.server import ServerStartError, running_server
    except ImportError as error:
        raise _fail(f"the http mode needs {error.name}: pip install 'voxrank-ml-serving[bench]'") from error

    if (url is None) == (repository is None):
        raise _fail("give exactly one of --url (a running server) or --repository (start one)")
    levels = concurrency or [1, 2, 4, 8, 16, 32, 64]
    limits = LoadLimits(window_s=window_s, max_requests=max_requests)
    server_settings = _server_settings(server_setting or []) if repository else {}

    def measure_at(base: str) -> None:
        plan = run_http_mode(
            base, audio_s, levels, limits, open_loop_s=open_loop_s, rate_per_s=rate, api_key=api_key
        )
        tagged = (
            m.model_copy(
                update={
                    "parameters": {**m.parameters, **{f"server_{k}": v for k, v in server_settings.items()}}
                }
            )
            for m in plan
        )
        collect(tagged, len(levels) + 3, out, "http", console)

    try:
        if repository is None:
            assert url is not None
            measure_at(url)
        else:
            with running_server(repository, server_settings, out.with_suffix(".server.log")) as started:
                measure_at(started)
    except (NotLoopbackError, ServerStartError) as error:
        raise _fail(str(error)) from error


@app.command()
def external(*, out: Out, only: Only = None) -> None:
    """Run the benchmarks other packages registered (data-sync, retrieval); raw outputs go beside --out."""
    from voxrank.serving.bench.external import REGISTERED, run_registered

    chosen = [b for b in REGISTERED if not only or b.name in only]
    collect(run_registered(out.parent / "external", only), len(chosen), out, "external", console)


@app.command()
def report(
    run_dir: RunDir,
    suite: Annotated[str, typer.Option(help="Name of the suite the run belongs to.")] = "cpu",
) -> None:
    """Merge a run's mode files into results.json, with results.md and PNG plots beside it."""
    try:
        merged = merge(read_mode_reports(run_dir), suite)
    except (FileNotFoundError, ValueError) as error:
        raise _fail(str(error)) from error
    merged.write(run_dir / RESULT_FILE)
    (run_dir / MARKDOWN_FILE).write_text(to_markdown(merged) + "\n", encoding="utf-8")
    figures = plots.draw_all(merged, run_dir)
    console.print(f"{run_dir / RESULT_FILE}, {run_dir / MARKDOWN_FILE} and {len(figures)} figure(s)")


@app.command()
def publish(
    run_dir: RunDir,
    docs_dir: Annotated[Path, typer.Option("--to", help="Folder of committed result files.")] = DOCS_RESULTS,
) -> None:
    """Copy a run's merged results into docs/results/, named after the suite and the machine."""
    source = run_dir / RESULT_FILE
    if not source.is_file():
        raise _fail(f"{source} does not exist; run `voxrank-bench report {run_dir}` first")
    merged = BenchmarkReport.read(source)
    stem = f"{merged.suite}-{merged.environment.machine}"
    docs_dir.mkdir(parents=True, exist_ok=True)
    for stale in docs_dir.glob(f"{stem}*"):
        stale.unlink()
    shutil.copyfile(source, docs_dir / f"{stem}.json")
    (docs_dir / f"{stem}.md").write_text(to_markdown(merged) + "\n", encoding="utf-8")
    figures = plots.draw_all(merged, docs_dir, prefix=f"{stem}-")
    console.print(f"published {stem}.json, {stem}.md and {len(figures)} figure(s) into {docs_dir}")


@app.command()
def schema() -> None:
    """Print the JSON Schema of result files (what registered benchmarks may also write)."""
    import json

    console.print_json(json.dumps(BenchmarkReport.model_json_schema()))
