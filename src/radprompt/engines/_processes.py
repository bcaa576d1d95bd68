"""Extraction in worker processes on this machine (``radprompt extract --workers N``).

The workers are forked once the extractor is built, so each starts with the compiled engine
in its memory, and with what it reads: the reports, or for a JSONL input only the file's lines,
which the workers parse themselves (``engines._jsonl_parts``), so that the parent's one core
does not read the whole file while the workers wait. A task is a ``[start, stop)`` run of
positions, and what comes back is the run's records, lines of text (``engines._records``),
which ``radprompt extract`` writes as they are: rebuilding the findings as objects here
(unpickling them) costs about 40% of extracting them, in the one process every worker waits
for. Records are handed on in input order, so the journal (and with it resume after a kill)
works exactly as in one process. A worker that dies (killed, out of memory) breaks the pool:
the runs not yet handed on are sent again to a fresh pool, so nothing is lost and nothing is
handed on twice.
"""

from __future__ import annotations

import gc
import logging
import math
import multiprocessing
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from radprompt.engines._jsonl_parts import JsonlLines, JsonlParts, ReadAndExtract
from radprompt.engines._records import result_record, spans, with_id
from radprompt.engines.base import RecordsCallback, RecordsEngine
from radprompt.errors import RowError
from radprompt.extractors.base import Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["ProcessPoolEngine", "shrinking_spans"]

logger = logging.getLogger(__name__)

Job = Callable[[int, int], Any]
"""What a worker does with a task ``[start, stop)``; its return value comes back."""

_worker_job: Job | None = None


def _start_worker(job: Job) -> None:
    global _worker_job
    _worker_job = job


def _run_task(start: int, stop: int) -> Any:
    if _worker_job is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker started without a job")
    return _worker_job(start, stop)


class _ExtractSpan:
    """The workers' job for reports read by the parent: the records of ``reports[start:stop]``."""

    def __init__(self, extractor: Extractor, reports: Sequence[Report]) -> None:
        self.extractor, self.reports = extractor, reports

    def __call__(self, start: int, stop: int) -> list[str]:
        return [result_record(result)
                for result in self.extractor.extract(self.reports[start:stop])]


class ProcessPoolEngine(RecordsEngine):
    """Run a picklable extractor (the rule engine) in ``workers`` processes.

    ``chunk_size`` reports make one task; by default tasks of up to 1000 shrink towards the
    end of the input (a quarter of a worker's share of what is left), so that the workers
    finish together and none waits long for the last task of another. ``max_restarts`` bounds
    how often a broken pool is replaced without any task finishing in between. Workers are
    forked where the system can (see ``_context``).

    Example::

        >>> from radprompt.extractors.rules import RulesExtractor
        >>> from radprompt.labelset import load_labelset
        >>> extractor = RulesExtractor(labelset=load_labelset("chestxray21"))
        >>> found = []
        >>> ProcessPoolEngine(workers=2).run(
        ...     [Report(id=f"r{i}", text="No pneumothorax.") for i in range(3)],
        ...     extractor=extractor, on_result=found.append)
        >>> [item.report_id for item in found]
        ['r0', 'r1', 'r2']
    """

    def __init__(self, *, workers: int = 2, chunk_size: int | None = None,
                 max_restarts: int = 3) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.workers = workers
        self.chunk_size = chunk_size
        self.max_restarts = max_restarts
        self.restarts_ = 0
        self.delivered_ = 0

    def run_records(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_records: RecordsCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        if not reports:
            return
        repeats = _Repeats(reports, on_records=on_records, progress=progress)
        distinct = [reports[position] for position in repeats.distinct]
        self._run_tasks(_ExtractSpan(extractor, distinct), self._tasks(len(distinct)),
                        on_done=lambda task, records: repeats.add(records))

    def run_jsonl(
        self,
        source: JsonlLines,
        *,
        extractor: Extractor,
        on_records: RecordsCallback,
        progress: ProgressCallback | None = None,
    ) -> list[RowError]:
        """Read and extract a JSONL input in the workers; hand every usable report's record
        to ``on_records`` in input order. Returns the rows the reader could not use, as
        ``read_dataset`` finds them in one pass."""
        parts = JsonlParts(source, on_records=on_records, progress=progress)
        self._run_tasks(ReadAndExtract(source, extractor), self._tasks(len(source.lines)),
                        on_done=parts.add)
        return parts.problems

    def _tasks(self, count: int) -> list[tuple[int, int]]:
        if self.chunk_size is not None:
            return spans(count, self.chunk_size)
        return shrinking_spans(count, workers=self.workers)

    def _run_tasks(self, job: Job, tasks: list[tuple[int, int]], *,
                   on_done: Callable[[tuple[int, int], Any], None]) -> None:
        """Run every task in the pool, handing each task's result to ``on_done`` in order;
        a broken pool is replaced and given the tasks not yet handed on."""
        done, failed_in_a_row = 0, 0
        while done < len(tasks):
            before = done
            try:
                done = self._run_pool(job, tasks, done, on_done=on_done)
            except BrokenProcessPool as exc:
                done = self.delivered_
                failed_in_a_row = 0 if done > before else failed_in_a_row + 1
                self.restarts_ += 1
                if failed_in_a_row > self.max_restarts:
                    raise RuntimeError(f"worker processes died {failed_in_a_row} times in a row "
                                       "without finishing a chunk") from exc
                logger.warning("a worker process died (%s); %d chunk(s) left go to a new pool",
                               exc, len(tasks) - done)

    def _run_pool(self, job: Job, tasks: list[tuple[int, int]], start: int, *,
                  on_done: Callable[[tuple[int, int], Any], None]) -> int:
        """Hand on the results of tasks ``start:`` in order; ``delivered_`` counts tasks
        handed on."""
        self.delivered_ = start
        gc.freeze()  # forked workers' collections skip (and so never copy) the parent's objects
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks) - start),
                                   mp_context=_context(), initializer=_start_worker,
                                   initargs=(job,))
        try:
            window: deque[tuple[tuple[int, int], Future[Any]]] = deque()
            upcoming = iter(tasks[start:])
            for task in upcoming:  # keep a few tasks per worker in flight, no more
                window.append((task, pool.submit(_run_task, *task)))
                if len(window) >= 3 * self.workers:
                    break
            while window:
                task, future = window.popleft()
                on_done(task, future.result())
                self.delivered_ += 1
                following = next(upcoming, None)
                if following is not None:
                    window.append((following, pool.submit(_run_task, *following)))
        except BaseException:
            _stop(pool)
            raise
        finally:
            gc.unfreeze()
        pool.shutdown()
        return self.delivered_


def shrinking_spans(count: int, *, workers: int, largest: int = 1000) -> list[tuple[int, int]]:
    """``[start, stop)`` runs over ``count`` items for ``workers``: each a quarter of a
    worker's share of what is left, at most ``largest``, and no smaller than 50 items (or an
    eighth of a worker's share of the whole, for small inputs), so the last tasks are short."""
    smallest = max(1, min(50, count // (8 * workers)))
    runs, start = [], 0
    while start < count:
        size = max(smallest, min(largest, math.ceil((count - start) / (4 * workers))))
        runs.append((start, min(count, start + size)))
        start += size
    return runs


class _Repeats:
    """A report whose text (and metadata) came earlier in the input is not sent to a worker:
    it gets that report's record under its own id, as one process's rule engine serves it
    from memory. Without this, repeated reports (normal templates; IU repeats 760 of its
    3,826) would be read once in every worker that meets them, where one process reads them
    once. ``add`` takes the records of the distinct reports in order and hands on, in input
    order, every report whose record is known."""

    def __init__(self, reports: Sequence[Report], *, on_records: RecordsCallback,
                 progress: ProgressCallback | None) -> None:
        seen: dict[tuple[str, str], int] = {}
        self.first = [seen.setdefault((report.text, repr(report.meta) if report.meta else ""),
                                      position) for position, report in enumerate(reports)]
        self.distinct = [position for position, first in enumerate(self.first)
                         if first == position]
        self.reports, self.on_records, self.progress = reports, on_records, progress
        self.known: dict[int, str] = {}
        self.arrived = 0  # distinct reports whose records came
        self.handed = 0  # reports handed on

    def add(self, records: Sequence[str]) -> None:
        positions = self.distinct[self.arrived:self.arrived + len(records)]
        self.known.update(zip(positions, records, strict=True))
        self.arrived += len(records)
        ready = []
        while self.handed < len(self.reports) and self.first[self.handed] in self.known:
            source, report = self.first[self.handed], self.reports[self.handed]
            record = self.known[source]
            ready.append(record if source == self.handed else
                         with_id(record, old=self.reports[source].id, new=report.id))
            self.handed += 1
        if ready:
            self.on_records(ready)
            if self.progress is not None:
                self.progress(len(ready))


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: a broken (or interrupted) pool's survivors are killed, not awaited."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """Fork where there is fork (Linux, macOS): a worker starts as a copy of this process with
    the extractor built and warm and the reports read, so neither is sent to it. Fork server
    and spawn re-import the program's main module in every worker (the whole CLI) and receive
    both pickled, which costs more than the rule engine's work on a corpus of a few thousand
    reports. Elsewhere (Windows) spawn."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
