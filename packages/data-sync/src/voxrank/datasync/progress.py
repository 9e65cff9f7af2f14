"""Rich progress bars for a sync: one overall bar and one per partition being fetched."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from voxrank.datasync.runs import Partition, SyncRun


class RichProgress:
    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[items]} items"),
            TimeRemainingColumn(),
            console=console,
        )
        self._overall: TaskID | None = None
        self._partitions: dict[int, TaskID] = {}
        self._items: dict[TaskID, int] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._progress.stop()

    def planned(self, run: SyncRun, partitions: int, pages_total: int, pages_done: int) -> None:
        self._overall = self._progress.add_task(
            f"run {run.id} ({run.mode}, {partitions} partitions) pages",
            total=pages_total,
            completed=pages_done,
            items=0,
        )

    def partition_started(self, partition: Partition, pages_done: int) -> None:
        label = f"  {partition.gte:%Y-%m-%d %H:%M:%S} .. {partition.lte:%Y-%m-%d %H:%M:%S}"
        self._partitions[partition.id] = self._progress.add_task(
            label, total=partition.page_count, completed=pages_done, items=0
        )

    def page_committed(self, partition: Partition, items: int) -> None:
        for task in (self._partitions.get(partition.id), self._overall):
            if task is not None:
                self._items[task] = self._items.get(task, 0) + items
                self._progress.update(task, advance=1, items=self._items[task])

    def partition_finished(self, partition: Partition) -> None:
        task = self._partitions.pop(partition.id, None)
        if task is not None:
            self._progress.remove_task(task)
