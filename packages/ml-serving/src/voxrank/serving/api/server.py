"""Running the app under uvicorn with a graceful shutdown.

On SIGTERM readiness turns 503 at once; the server keeps serving for `shutdown_delay_s` (time for a
load balancer to notice), then stops accepting connections and lets in-flight requests finish for up to
`shutdown_timeout_s`. A second signal during the delay stops at once.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import uvicorn
from fastapi import FastAPI

from voxrank.serving.api.app import create_app
from voxrank.serving.api.lifecycle import Lifecycle
from voxrank.serving.api.structured_logging import configure_logging
from voxrank.serving.settings import ServingSettings


class GracefulServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, lifecycle: Lifecycle, delay_s: float) -> None:
        super().__init__(config)
        self.lifecycle = lifecycle
        self.delay_s = delay_s
        self._delayed_exit: threading.Timer | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.lifecycle.begin_drain()
        if self.delay_s <= 0 or self._delayed_exit is not None:
            super().handle_exit(sig, frame)
            return
        self._delayed_exit = threading.Timer(self.delay_s, super().handle_exit, args=(sig, frame))
        self._delayed_exit.daemon = True
        self._delayed_exit.start()


def build_server(settings: ServingSettings, app: FastAPI | None = None) -> GracefulServer:
    app = app or create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s) or None,
        lifespan="on",
    )
    return GracefulServer(config, app.state.lifecycle, settings.shutdown_delay_s)


def serve(settings: ServingSettings) -> None:
    configure_logging(settings.log_level, settings.log_json)
    build_server(settings).run()


@contextmanager
def serve_in_thread(settings: ServingSettings, startup_timeout_s: float = 60.0) -> Iterator[str]:
    """Run a real uvicorn server on a free loopback port in a thread; yields its base URL.

    For tests and loopback tools; the server stops (gracefully) when the block ends.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    server = build_server(settings)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listener]}, name="voxrank-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            listener.close()
            raise RuntimeError("the server did not start (see the log for why)")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=settings.shutdown_timeout_s + 10)
        listener.close()
