"""Bounded concurrency with a bounded queue: a request beyond both is refused at once (503) rather than
waiting without limit, and a request that runs out of time is cancelled inside ONNX Runtime."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import TypeVar

import onnxruntime as ort

T = TypeVar("T")


class OverloadedError(Exception):
    """Every slot is busy and the queue is full."""


class RequestTimeoutError(Exception):
    """Queue wait plus work exceeded the request's time budget."""


class Admission:
    def __init__(self, max_concurrency: int, max_queue: int) -> None:
        self.max_concurrency = max_concurrency
        self.capacity = max_concurrency + max_queue
        self._slots = asyncio.Semaphore(max_concurrency)
        self._admitted = 0
        self._running = 0
        self._executor = ThreadPoolExecutor(max_workers=max_concurrency, thread_name_prefix="voxrank-infer")

    @property
    def queued(self) -> int:
        return self._admitted - self._running

    @property
    def running(self) -> int:
        return self._running

    async def run(
        self,
        work: Callable[[ort.RunOptions], T],
        timeout_s: float,
        on_start: Callable[[float], None] | None = None,
    ) -> T:
        """Run `work(run_options)` in a worker thread once a slot is free, within `timeout_s` in total.

        `on_start` receives the seconds spent queueing. On timeout the run is terminated through its
        RunOptions and the slot is only given back once the worker has stopped, so the bound holds.
        """
        if self._admitted >= self.capacity:
            raise OverloadedError
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self._admitted += 1
        try:
            queued_at = loop.time()
            await self._acquire_slot(deadline)
            try:
                self._running += 1
                if on_start is not None:
                    on_start(loop.time() - queued_at)
                return await self._run_in_slot(work, deadline)
            finally:
                self._running -= 1
                self._slots.release()
        finally:
            self._admitted -= 1

    async def _acquire_slot(self, deadline: float) -> None:
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot is taken at once: no timer needed
            return
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError as error:
            raise RequestTimeoutError from error

    async def _run_in_slot(self, work: Callable[[ort.RunOptions], T], deadline: float) -> T:
        run_options = ort.RunOptions()
        future = asyncio.get_running_loop().run_in_executor(self._executor, work, run_options)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(future)
        except TimeoutError as error:
            await _terminate(run_options, future)
            raise RequestTimeoutError from error
        except asyncio.CancelledError:
            # The client went away: stop the work too, or the slot would outlive its request.
            await _terminate(run_options, future)
            raise

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


async def _terminate(run_options: ort.RunOptions, future: asyncio.Future[T]) -> None:
    run_options.terminate = True
    with suppress(Exception):
        await future
