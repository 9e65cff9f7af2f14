"""CPU time and peak RSS of the running process, as sync summaries and the fake API's stats report them."""

from __future__ import annotations

import resource
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessUsage:
    cpu_s: float
    peak_rss_mb: float

    @classmethod
    def of_this_process(cls) -> ProcessUsage:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return cls(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)  # Linux reports KiB
