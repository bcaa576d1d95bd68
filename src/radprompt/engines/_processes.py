"""Extraction in worker processes on this machine (``radprompt extract --workers N``).

Reports go to the workers in chunks; results come back and are handed on in input order, so
the journal (and with it resume after a kill) works exactly as in one process. A worker that
dies (killed, out of memory) breaks the pool: the chunks not yet handed on are sent again to
a fresh pool, so nothing is lost and nothing is handed on twice.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from radprompt.engines.base import Engine, ResultCallback
from radprompt.extractors.base import ExtractionResult, Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["ProcessPoolEngine"]

logger = logging.getLogger(__name__)

_worker_extractor: Extractor | None = None


def _start_worker(extractor: Extractor) -> None:
    global _worker_extractor
    _worker_extractor = extractor


def _extract_chunk(reports: Sequence[Report]) -> list[ExtractionResult]:
    if _worker_extractor is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("worker started without an extractor")
    return _worker_extractor.extract(reports)


class ProcessPoolEngine(Engine):
    """Run a picklable extractor (the rule engine) in ``workers`` processes.

    ``chunk_size`` reports travel per task; ``max_restarts`` bounds how often a broken pool is
    replaced without any chunk finishing in between. Workers are forked where the system
    can (see ``_context``).

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

    def __init__(self, *, workers: int = 2, chunk_size: int = 100, max_restarts: int = 3) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, not {workers}")
        if chunk_size < 1:
            raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
        self.workers = workers
        self.chunk_size = chunk_size
        self.max_restarts = max_restarts
        self.restarts_ = 0

    def run(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_result: ResultCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        chunks = [reports[start:start + self.chunk_size]
                  for start in range(0, len(reports), self.chunk_size)]
        done, failed_in_a_row = 0, 0
        while done < len(chunks):
            before = done
            try:
                done = self._run_pool(chunks, done, extractor=extractor, on_result=on_result,
                                      progress=progress)
            except BrokenProcessPool as exc:
                done = self.delivered_
                failed_in_a_row = 0 if done > before else failed_in_a_row + 1
                self.restarts_ += 1
                if failed_in_a_row > self.max_restarts:
                    raise RuntimeError(f"worker processes died {failed_in_a_row} times in a row "
                                       "without finishing a chunk") from exc
                logger.warning("a worker process died (%s); %d chunk(s) left go to a new pool",
                               exc, len(chunks) - done)

    def _run_pool(self, chunks: list[Sequence[Report]], start: int, *, extractor: Extractor,
                  on_result: ResultCallback, progress: ProgressCallback | None) -> int:
        """Hand on chunks ``start:`` in order; ``delivered_`` counts chunks handed on."""
        self.delivered_ = start
        gc.freeze()  # forked workers' collections skip (and so never copy) the parent's objects
        pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=_context(),
                                   initializer=_start_worker, initargs=(extractor,))
        try:
            window: deque[Future[list[ExtractionResult]]] = deque()
            upcoming = iter(range(start, len(chunks)))
            for index in upcoming:  # keep a few chunks per worker in flight, no more
                window.append(pool.submit(_extract_chunk, chunks[index]))
                if len(window) >= 3 * self.workers:
                    break
            while window:
                results = window.popleft().result()
                for result in results:
                    on_result(result)
                self.delivered_ += 1
                if progress is not None:
                    progress(len(results))
                following = next(upcoming, None)
                if following is not None:
                    window.append(pool.submit(_extract_chunk, chunks[following]))
        except BaseException:
            _stop(pool)
            raise
        finally:
            gc.unfreeze()
        pool.shutdown()
        return self.delivered_


def _stop(pool: ProcessPoolExecutor) -> None:
    """End a pool at once: a broken (or interrupted) pool's survivors are killed, not awaited."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _context() -> multiprocessing.context.BaseContext:
    """Fork where there is fork (Linux, macOS): a worker starts as a copy of this process with
    the extractor built and warm. Fork server and spawn re-import the program's main module in
    every worker (the whole CLI), which costs more than the rule engine's work on a corpus of a
    few thousand reports. Elsewhere (Windows) spawn."""
    if "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")
