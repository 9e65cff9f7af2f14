"""Start `voxrank-serve serve` on a free loopback port for the http mode, and stop it afterwards."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

READY_TIMEOUT_S = 120.0


class ServerStartError(RuntimeError):
    """The server exited or never became ready; the message carries the end of its log."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_command() -> list[str]:
    # The console script next to this interpreter, so the server runs the same installation.
    beside = Path(sys.executable).with_name("voxrank-serve")
    return [str(beside) if beside.exists() else (shutil.which("voxrank-serve") or "voxrank-serve"), "serve"]


def _wait_ready(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"voxrank-serve exited with {process.returncode}: {_tail(log)}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise ServerStartError(f"voxrank-serve was not ready after {READY_TIMEOUT_S:.0f} s: {_tail(log)}")


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@contextmanager
def running_server(repository: Path, settings: Mapping[str, str], log: Path) -> Iterator[str]:
    """A ready server on 127.0.0.1 serving `repository` with `settings` (VOXRANK_* values); yields its URL."""
    port = free_port()
    environment = {
        **os.environ,
        **{f"VOXRANK_{key.upper()}": value for key, value in settings.items()},
        "VOXRANK_MODEL_REPOSITORY": str(repository),
        "VOXRANK_HOST": "127.0.0.1",
        "VOXRANK_PORT": str(port),
    }
    url = f"http://127.0.0.1:{port}"
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(serve_command(), env=environment, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_ready(process, url, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
