"""Admission control on its own: a free slot runs at once, a queued request times out inside its budget."""

from __future__ import annotations

import asyncio
import threading

import onnxruntime as ort
import pytest

from voxrank.serving.api.admission import Admission, OverloadedError, RequestTimeoutError


def test_a_free_slot_runs_the_work_without_queueing() -> None:
    async def scenario() -> tuple[str, list[float]]:
        admission = Admission(max_concurrency=1, max_queue=0)
        waited: list[float] = []
        try:
            result = await admission.run(lambda _: "done", timeout_s=5, on_start=waited.append)
        finally:
            admission.close()
        return result, waited

    result, waited = asyncio.run(scenario())

    assert result == "done"
    assert len(waited) == 1 and 0 <= waited[0] < 0.5


def test_a_request_queued_past_its_budget_times_out_and_leaves_the_queue() -> None:
    release = threading.Event()

    def hold_the_slot(_: ort.RunOptions) -> str:
        release.wait(timeout=10)
        return "first"

    async def scenario() -> tuple[str, int, int]:
        admission = Admission(max_concurrency=1, max_queue=1)
        try:
            first = asyncio.create_task(admission.run(hold_the_slot, timeout_s=10))
            while admission.running == 0:
                await asyncio.sleep(0.01)
            with pytest.raises(RequestTimeoutError):
                await admission.run(lambda _: "second", timeout_s=0.2)
            queued_after_timeout = admission.queued
            release.set()
            return await first, queued_after_timeout, admission.running
        finally:
            release.set()
            admission.close()

    first, queued_after_timeout, running_after = asyncio.run(scenario())

    assert first == "first"
    assert queued_after_timeout == 0
    assert running_after == 0


def test_beyond_slots_and_queue_a_request_is_refused_at_once() -> None:
    release = threading.Event()

    async def scenario() -> None:
        admission = Admission(max_concurrency=1, max_queue=0)
        try:
            holder = asyncio.create_task(admission.run(lambda _: release.wait(timeout=10), timeout_s=10))
            while admission.running == 0:
                await asyncio.sleep(0.01)
            with pytest.raises(OverloadedError):
                await admission.run(lambda _: None, timeout_s=10)
            release.set()
            await holder
        finally:
            release.set()
            admission.close()

    asyncio.run(scenario())
