"""Faults the fake API injects by rate, as a real network and a busy API produce them."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum


class Fault(Enum):
    NONE = "none"
    RATE_LIMITED = "429"
    SERVER_ERROR = "5xx"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class FaultConfig:
    """Rates are probabilities per request; `latency_ms` is added to every request."""

    latency_ms: float = 0.0
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    rate_timeout: float = 0.0
    rate_truncated: float = 0.0
    retry_after_s: int = 1
    stall_s: float = 30.0

    @classmethod
    def spread(cls, total_rate: float, **overrides: float) -> FaultConfig:
        """`total_rate` of faults split evenly over the four kinds."""
        share = total_rate / 4
        values = {"rate_429": share, "rate_5xx": share, "rate_timeout": share, "rate_truncated": share}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


class FaultInjector:
    def __init__(self, config: FaultConfig, seed: int) -> None:
        self.config = config
        self._random = random.Random(seed)

    def next_fault(self) -> Fault:
        draw = self._random.random()
        config = self.config
        for fault, rate in (
            (Fault.RATE_LIMITED, config.rate_429),
            (Fault.SERVER_ERROR, config.rate_5xx),
            (Fault.TIMEOUT, config.rate_timeout),
            (Fault.TRUNCATED, config.rate_truncated),
        ):
            if draw < rate:
                return fault
            draw -= rate
        return Fault.NONE
