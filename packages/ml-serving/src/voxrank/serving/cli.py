"""`voxrank-serve`: serve models, inspect the runtime and the model repository, diarize offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from voxrank.serving import __version__
from voxrank.serving.recommend.index_cli import index_app
from voxrank.serving.settings import ServingSettings

app = typer.Typer(help="Serve voxrank models with ONNX Runtime.", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)
app.add_typer(index_app, name="index")

RepositoryOption = Annotated[
    Path | None,
    typer.Option("--repository", "-r", help="Model repository (default: VOXRANK_MODEL_REPOSITORY)."),
]


def _print_version(value: bool) -> None:
    if value:
        console.print(f"voxrank-serve {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """voxrank model serving."""


def _fail(message: str, code: int = 1) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code)


def _settings(**overrides: Any) -> ServingSettings:
    """VOXRANK_* settings with the options given on the command line on top."""
    try:
        return ServingSettings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _fail(f"invalid setting {where}: {first['msg']}", code=2) from error


@app.command()
def providers() -> None:
    """List the ONNX Runtime execution providers this installation can use."""
    import onnxruntime as ort

    console.print(f"onnxruntime {ort.__version__} on {ort.get_device()}")
    for name in ort.get_available_providers():
        console.print(f"  {name}")


@app.command()
def serve(
    *,
    repository: RepositoryOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind (VOXRANK_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (VOXRANK_PORT).")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Serve only this model (repeatable).")
    ] = None,
    provider: Annotated[
        list[str] | None,
        typer.Option("--provider", help="Provider chain, most preferred first: tensorrt, cuda, cpu."),
    ] = None,
    strict_providers: Annotated[
        bool | None,
        typer.Option("--strict-providers/--no-strict-providers", help="Fail when an accelerator is missing."),
    ] = None,
) -> None:
    """Run the HTTP API (every other setting comes from VOXRANK_* variables; see the README)."""
    from voxrank.serving.api.server import serve as run_server
    from voxrank.serving.models.manager import session_config
    from voxrank.serving.runtime import ProviderError

    settings = _settings(
        model_repository=repository,
        host=host,
        port=port,
        models=model or None,
        providers=provider or None,
        strict_providers=strict_providers,
    )
    try:
        # A provider this onnxruntime lacks fails here in one line; one that fails to load, at startup.
        session_config(settings).chain.available()
    except ProviderError as error:
        raise _fail(str(error)) from error
    run_server(settings)


@app.command()
def models(
    repository: RepositoryOption = None,
    verify_golden: Annotated[
        bool, typer.Option("--verify", help="Also run every newest version's golden check on the CPU.")
    ] = False,
) -> None:
    """List the models in the repository: READY versions, task, precision, size, and checks."""
    from voxrank.serving.repository import ModelRepository, RepositoryError, verify

    settings = _settings(model_repository=repository)
    store = ModelRepository(settings.model_repository)
    names = store.models()
    if not names:
        raise _fail(f"no model with a READY version in {settings.model_repository}")
    table = Table("model", "versions", "newest", "task", "precision", "size", "check")
    problems = []
    for name in names:
        newest = store.resolve(name)
        manifest = newest.manifest
        try:
            verify(newest, golden=verify_golden)
            check = "ok (golden)" if verify_golden else "ok"
        except RepositoryError as error:
            check = "[red]rejected[/red]"
            problems.append(f"{name} {newest.version}: {error}")
        versions = ", ".join(str(version) for version in store.versions(name))
        size = f"{manifest.size_bytes / 1e6:.2f} MB"
        table.add_row(name, versions, str(newest.version), manifest.task, manifest.precision, size, check)
    console.print(table)
    for problem in problems:
        console.print(problem, highlight=False, soft_wrap=True)


@app.command()
def diarize(
    audio: Annotated[Path, typer.Argument(help="WAV, FLAC or OGG file.", exists=True, dir_okay=False)],
    *,
    repository: RepositoryOption = None,
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model name (VOXRANK_DIARIZATION_MODEL).")
    ] = None,
    version: Annotated[str, typer.Option(help='Version spec: "latest", "1.2.3", ">=1.2,<2".')] = "latest",
    num_speakers: Annotated[int | None, typer.Option(min=1)] = None,
    min_speakers: Annotated[int | None, typer.Option(min=1)] = None,
    max_speakers: Annotated[int | None, typer.Option(min=1)] = None,
    output_format: Annotated[Literal["json", "rttm"], typer.Option("--format", help="json or rttm")] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="Also draw a speaker timeline PNG here (needs the plot extra).")
    ] = None,
) -> None:
    """Diarize one file offline with a validated model from the repository."""
    from voxrank.serving.audio import AudioError
    from voxrank.serving.diarization import PipelineInputError
    from voxrank.serving.offline import diarize_file, load_model
    from voxrank.serving.repository import RepositoryError

    settings = _settings(model_repository=repository, diarization_model=model)
    try:
        loaded = load_model(settings, settings.diarization_model, version)
        result = diarize_file(audio, loaded, num_speakers, min_speakers, max_speakers)
    except (AudioError, PipelineInputError, RepositoryError) as error:
        raise _fail(str(error)) from error
    if output_format == "rttm":
        text = result.to_rttm(audio.stem)
    else:
        text = (
            json.dumps({"model": loaded.name, "version": loaded.version, **result.to_json()}, indent=2) + "\n"
        )
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
    if plot is not None:
        from voxrank.serving.plot import plot_timeline

        try:
            plot_timeline(result, plot, title=f"{audio.name}: {loaded.name} {loaded.version}")
        except RuntimeError as error:
            raise _fail(str(error)) from error
        errors.print(f"timeline written to {plot}")


@app.command("reload-load")
def reload_load(
    *,
    repository: Annotated[
        Path | None,
        typer.Option("--repository", "-r", help="Take the model from here (copied; never modified)."),
    ] = None,
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name in --repository.")] = None,
    requests: Annotated[int, typer.Option(min=1, help="Requests in total.")] = 2000,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 16,
    reloads: Annotated[int, typer.Option(min=0, help="New versions swapped in during the requests.")] = 20,
    audio: Annotated[
        Path | None, typer.Option(help="Audio to send; default 5 s of synthetic dialogue.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the result here as JSON.")
    ] = None,
) -> None:
    """Loopback load test of hot reload: zero failed requests while versions swap; P50 and P99 latency."""
    from voxrank.serving.reload_load import ReloadLoadPlan, prepare_and_run

    if (repository is None) != (model is None):
        raise _fail("give both --repository and --model, or neither (then the synthetic tone model is used)")
    plan = ReloadLoadPlan(requests=requests, concurrency=concurrency, reloads=reloads)
    with console.status(f"{requests} requests at concurrency {concurrency}, {reloads} reloads..."):
        result = prepare_and_run(plan, repository, model, audio)
    table = Table(
        "requests", "failed", "reloads during load", "P50 ms", "P99 ms", "max ms", "req/s", "versions"
    )
    table.add_row(
        str(result.requests),
        str(result.failures),
        f"{result.reloads_during_load}/{result.reloads_planned}",
        f"{result.p50_ms:.1f}",
        f"{result.p99_ms:.1f}",
        f"{result.max_ms:.1f}",
        f"{result.throughput_per_s:.0f}",
        f"{result.versions_served[0]} .. {result.versions_served[-1]} ({len(result.versions_served)})",
    )
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(result.to_json(), indent=2) + "\n", encoding="utf-8")
    if not result.passed:
        raise _fail(
            f"statuses {result.statuses}; {result.reloads_during_load} of {reloads} reloads during the load"
        )
