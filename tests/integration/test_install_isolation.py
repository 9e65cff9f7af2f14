"""Each wheel installs alone into a fresh virtualenv (its sibling packages from dist/, everything through
constraints.txt), imports, and runs its console script; ml-serving stays free of torch."""

from __future__ import annotations

import email.parser
import os
import re
import subprocess
import venv
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Distribution:
    name: str
    module: str
    console_script: str
    downstream: tuple[str, ...]
    """Packages that depend on this one: installing it must never pull them in."""


DISTRIBUTIONS = [
    Distribution(
        "voxrank-data-sync", "voxrank.datasync", "voxrank-sync", ("voxrank-ml-serving", "voxrank-ml-training")
    ),
    Distribution("voxrank-ml-serving", "voxrank.serving", "voxrank-serve", ("voxrank-ml-training",)),
    Distribution("voxrank-ml-training", "voxrank.training", "voxrank-train", ()),
]
# Requirements that would bring torch into the serving image.
TORCH_PULLING = {"torch", "torchaudio", "torchvision", "voxrank-ml-training"}


@dataclass(frozen=True)
class Venv:
    path: Path
    wheel: Path

    @property
    def version(self) -> str:
        return self.wheel.name.split("-")[1]

    def run(self, program: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.path / "bin" / program), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )

    def has_distribution(self, name: str) -> bool:
        probe = (
            "import importlib.metadata as m\n"
            f"try:\n    m.distribution({name!r})\nexcept m.PackageNotFoundError:\n    raise SystemExit(1)"
        )
        return self.run("python", "-c", probe).returncode == 0


def install_alone(wheel: Path, dist_dir: Path, constraints: Path, target: Path) -> Venv:
    """A fresh venv holding `wheel` and what it declares; siblings resolve from dist/ only via find-links."""
    target = target / "venv"
    # Symlinked, not copied: a copy of the interpreter being written while another thread forks pip can be
    # inherited open by that child, and running it then fails with "Text file busy" (ETXTBSY).
    venv.EnvBuilder(with_pip=True, clear=True, symlinks=True).create(target)
    command = [
        str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
        "--no-input", "--no-compile", "--find-links", str(dist_dir), "-c", str(constraints), str(wheel),
    ]  # fmt: skip
    environment = {**os.environ, "PIP_CONSTRAINT": str(constraints)}
    result = subprocess.run(
        command, capture_output=True, text=True, env=environment, check=False, timeout=900
    )
    assert result.returncode == 0, f"installing {wheel.name} alone failed:\n{result.stdout}\n{result.stderr}"
    return Venv(target, wheel)


@pytest.fixture(scope="module")
def venv_for(
    wheels: dict[str, Path], dist_dir: Path, repo_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Venv]]:
    """Distribution name -> its own venv; the three are installed concurrently, since pip mostly waits."""
    missing = [d.name for d in DISTRIBUTIONS if d.name not in wheels]
    if missing:
        pytest.fail(f"no wheel for {missing} in {dist_dir}; found {sorted(wheels)}")
    constraints = repo_root / "constraints.txt"
    with ThreadPoolExecutor(max_workers=len(DISTRIBUTIONS)) as pool:
        installing: dict[str, Future[Venv]] = {
            d.name: pool.submit(
                install_alone, wheels[d.name], dist_dir, constraints, tmp_path_factory.mktemp(d.name)
            )
            for d in DISTRIBUTIONS
        }
        yield lambda name: installing[name].result()


@pytest.mark.parametrize("distribution", DISTRIBUTIONS, ids=lambda d: d.name)
def test_each_wheel_installs_alone_imports_and_runs_its_console_script(
    distribution: Distribution, venv_for: Callable[[str], Venv]
) -> None:
    environment = venv_for(distribution.name)
    code = (
        f"import {distribution.module} as m, pathlib; print(m.__version__); print(pathlib.Path(m.__file__))"
    )
    imported = environment.run("python", "-c", code)
    assert imported.returncode == 0, imported.stderr
    version, location = imported.stdout.splitlines()
    assert version == environment.version
    # Imported from the venv's site-packages, never from the working tree.
    assert Path(location).resolve().is_relative_to(environment.path.resolve())
    script = environment.run(distribution.console_script, "--version")
    assert script.returncode == 0, script.stderr
    assert script.stdout.strip() == f"{distribution.console_script} {environment.version}"
    assert [name for name in distribution.downstream if environment.has_distribution(name)] == []


def test_ml_training_takes_its_siblings_from_dist(venv_for: Callable[[str], Venv], dist_dir: Path) -> None:
    environment = venv_for("voxrank-ml-training")
    for sibling in ("voxrank-ml-serving", "voxrank-data-sync"):  # data-sync through serving's [catalog] extra
        assert environment.has_distribution(sibling)
    assert environment.has_distribution("torch")


def _requires_dist(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        metadata_name = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        metadata = email.parser.Parser().parsestr(archive.read(metadata_name).decode("utf-8"))
    return metadata.get_all("Requires-Dist") or []


def _requirement_name(requirement: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"unparseable requirement {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def test_ml_serving_requires_torch_nowhere_outside_extras(wheels: dict[str, Path]) -> None:
    requirements = _requires_dist(wheels["voxrank-ml-serving"])
    core = [requirement for requirement in requirements if "extra ==" not in requirement.partition(";")[2]]
    assert "onnxruntime" in {_requirement_name(requirement) for requirement in core}
    assert [requirement for requirement in core if _requirement_name(requirement) in TORCH_PULLING] == []


def test_ml_serving_installed_alone_has_no_torch(venv_for: Callable[[str], Venv]) -> None:
    environment = venv_for("voxrank-ml-serving")
    assert environment.has_distribution("onnxruntime")
    assert not environment.has_distribution("torch")
    spec = environment.run("python", "-c", "import importlib.util; print(importlib.util.find_spec('torch'))")
    assert spec.stdout.strip() == "None"
