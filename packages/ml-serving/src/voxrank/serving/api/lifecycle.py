"""Process state that readiness reports: models loaded and warmed, and not shutting down."""

from __future__ import annotations

import contextvars
import logging

log = logging.getLogger(__name__)


class Lifecycle:
    def __init__(self) -> None:
        self.started = False
        self.draining = False

    def begin_drain(self) -> None:
        """Readiness turns 503 now so load balancers stop routing here; requests keep being served."""
        if not self.draining:
            # A fresh context: the signal may interrupt a request, whose id does not belong on this line.
            contextvars.Context().run(
                log.info, "shutting down: readiness now reports 503, in-flight requests finish"
            )
        self.draining = True
