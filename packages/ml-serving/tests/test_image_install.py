"""The Docker image's install steps, without Docker: build the wheel, install only it into a fresh
virtualenv with the same script the Dockerfile runs, serve a model from there and pass its HEALTHCHECK.
hadolint lints the Dockerfile."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest

from voxrank.serving.tone_model import publish_tone_model

PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parents[1]
DOCKERFILE = PACKAGE / "Dockerfile"


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    result = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def healthcheck_command() -> list[str]:
    match = re.search(r"HEALTHCHECK [^\n]*\\\n\s*CMD (\[.*\])", DOCKERFILE.read_text())
    assert match, "the Dockerfile has no exec-form HEALTHCHECK"
    return json.loads(match.group(1))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_the_wheel_alone_installs_serves_and_passes_the_healthcheck(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "build", "--wheel", "--outdir", str(wheels), str(PACKAGE)]
    subprocess.run(build, check=True, capture_output=True, timeout=600)
    environment_dir = tmp_path / "image"
    venv.create(environment_dir, with_pip=True)
    bin_dir = environment_dir / "bin"
    image_env = {
        key: value for key, value in os.environ.items() if not key.startswith(("VOXRANK_", "VIRTUAL_ENV"))
    }
    image_env["PATH"] = f"{bin_dir}{os.pathsep}{image_env['PATH']}"
    install = [str(PACKAGE / "docker" / "install-wheel.sh"), str(wheels), "", str(ROOT / "constraints.txt")]
    subprocess.run(install, check=True, capture_output=True, env=image_env, timeout=900)

    installed = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "list", "--format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    names = {entry["name"].lower() for entry in json.loads(installed.stdout)}
    assert "voxrank-ml-serving" in names
    assert not names & {"torch", "voxrank-ml-training", "voxrank-data-sync", "onnx", "pytest"}

    repository = tmp_path / "models"
    publish_tone_model(repository, "diarization-fastcnn", "1.0.0")
    port = free_port()
    serve_env = image_env | {
        "VOXRANK_MODEL_REPOSITORY": str(repository),
        "VOXRANK_PORT": str(port),
        "VOXRANK_HOST": "127.0.0.1",
    }
    server = subprocess.Popen(
        [str(bin_dir / "voxrank-serve"), "serve"], env=serve_env, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 120
        health = healthcheck_command()
        health[0] = str(bin_dir / health[0])
        while subprocess.run(health, env=serve_env, capture_output=True, check=False).returncode != 0:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else "server exited"
            assert time.monotonic() < deadline, "the HEALTHCHECK never passed"
            time.sleep(0.5)
        models = httpx.get(f"http://127.0.0.1:{port}/v1/models").json()["models"]
        assert [model["state"] for model in models] == ["ready"]
    finally:
        server.terminate()
        server.wait(timeout=60)
