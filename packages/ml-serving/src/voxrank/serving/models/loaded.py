"""A model version that passed validation and warm-up, with a count of the requests using it."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxrank.serving.runtime.session import SessionRunner


@dataclass
class LoadedModel:
    """What a request needs: the session runner, the manifest and the version it came from."""

    name: str
    version: str
    manifest: Any
    runner: SessionRunner
    path: Path
    load_seconds: float
    loaded_at: float = field(default_factory=time.time)
    _in_flight: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition, repr=False)

    @property
    def provider(self) -> str:
        return self.runner.provider

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def acquire(self) -> None:
        with self._idle:
            self._in_flight += 1

    def release(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.notify_all()

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until no request uses this version; False when `timeout_s` passed first."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout_s)
