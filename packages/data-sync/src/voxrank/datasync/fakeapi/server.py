"""Run the fake API: in the foreground with uvicorn, or as a child process for tests and benchmarks."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO

import httpx

from voxrank.datasync.fakeapi.app import FakeApiConfig, create_app
from voxrank.datasync.gcpolicy import bulk_allocation_gc


def serve(config: FakeApiConfig, host: str = "127.0.0.1", port: int = 8000) -> None:
    import uvicorn

    app = create_app(config)
    with bulk_allocation_gc():
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class FakeApiProcess:
    """`voxrank-sync fake-api` in a child process on a free loopback port (its own GIL)."""

    items: int = 2000
    seed: int = 1
    offset_cap: int = 50_000
    api_id: str | None = None
    malformed_rate: float = 0.0
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    retry_after_s: int = 1
    stall_s: float = 30.0
    nice: int = 0
    port: int = field(default_factory=free_port)
    _process: subprocess.Popen[bytes] | None = None
    _stderr: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        command = [
            sys.executable, "-m", "voxrank.datasync", "fake-api",
            "--items", str(self.items), "--seed", str(self.seed), "--port", str(self.port),
            "--offset-cap", str(self.offset_cap), "--malformed-rate", str(self.malformed_rate),
            "--latency-ms", str(self.latency_ms), "--fault-rate", str(self.fault_rate),
            "--retry-after", str(self.retry_after_s), "--stall", str(self.stall_s),
        ]  # fmt: skip
        if self.api_id is not None:
            command += ["--api-id", self.api_id]
        return ["nice", "-n", str(self.nice), *command] if self.nice else command

    def start(self, timeout_s: float = 60.0) -> FakeApiProcess:
        # A file, not a pipe: a chatty child must never block on a full pipe nobody reads.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=self._stderr)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._stderr.seek(0)
                stderr = self._stderr.read().decode(errors="replace")
                raise RuntimeError(f"fake API exited with {self._process.returncode}: {stderr[-2000:]}")
            try:
                if httpx.get(f"{self.base_url}/_fake/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"fake API did not answer on {self.base_url} within {timeout_s} s")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._process = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stats(self) -> dict:
        return dict(httpx.get(f"{self.base_url}/_fake/stats", timeout=30).json())

    def control(self, action: str, **params: int) -> dict:
        return dict(httpx.post(f"{self.base_url}/_fake/{action}", params=params, timeout=60).json())

    def snapshot(self) -> dict:
        return dict(httpx.get(f"{self.base_url}/_fake/snapshot", timeout=120).json())

    def __enter__(self) -> FakeApiProcess:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
