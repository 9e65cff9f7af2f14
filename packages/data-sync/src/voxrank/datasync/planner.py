"""Split a date range into windows that each hold at most `offset_cap` items, by bisection.

`lte_date` is inclusive, so a window ends one second before the next one starts: no item dated
exactly on a boundary (such as 2024-05-01 00:00:00) is fetched twice or missed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta

from voxrank.datasync.client import DmmClient
from voxrank.datasync.errors import PlanningError

ONE_SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Scope:
    """What is synced: a site, optionally narrowed to a service and a floor."""

    site: str
    service: str | None = None
    floor: str | None = None

    @property
    def key(self) -> str:
        return f"site={self.site};service={self.service or '*'};floor={self.floor or '*'}"


@dataclass(frozen=True)
class Window:
    gte: datetime
    lte: datetime
    total: int


def split(gte: datetime, lte: datetime) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    """Two halves of [gte, lte] (whole seconds) that share no second."""
    middle = gte + timedelta(seconds=int((lte - gte).total_seconds()) // 2)
    return (gte, middle), (middle + ONE_SECOND, lte)


async def count(client: DmmClient, scope: Scope, gte: datetime, lte: datetime) -> int:
    result = await client.item_list(
        site=scope.site,
        service=scope.service,
        floor=scope.floor,
        hits=1,
        offset=1,
        sort="date",
        gte_date=gte,
        lte_date=lte,
    )
    return result.total_count


async def plan_windows(
    client: DmmClient, scope: Scope, lower: datetime, upper: datetime, offset_cap: int
) -> list[Window]:
    """Non-empty windows covering [lower, upper], each with total <= offset_cap, in date order."""
    lower, upper = lower.replace(microsecond=0), upper.replace(microsecond=0)
    if lower > upper:
        raise PlanningError(f"the lower bound {lower} is after the upper bound {upper}")
    accepted: list[Window] = []
    pending = [(lower, upper)]
    while pending:
        totals = await asyncio.gather(*(count(client, scope, gte, lte) for gte, lte in pending))
        next_round: list[tuple[datetime, datetime]] = []
        for (gte, lte), total in zip(pending, totals, strict=True):
            if total <= offset_cap:
                if total:
                    accepted.append(Window(gte, lte, total))
            elif gte == lte:
                raise PlanningError(
                    f"{total} items share the release second {gte}, more than the offset cap {offset_cap}: "
                    "narrow the scope with --service/--floor"
                )
            else:
                next_round.extend(split(gte, lte))
        pending = next_round
    return sorted(accepted, key=lambda window: window.gte)
