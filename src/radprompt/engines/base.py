"""The Engine plug-in kind: where extraction runs (this process, worker processes, Ray Data).

An engine takes an extractor and reports and hands back one result per report through
``on_result``; what is extracted never depends on the engine, only where and how fast.
``pipeline.extract_dataset`` puts the results back in input order and journals them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from radprompt.engines._records import InOrder, each_result, result_record
from radprompt.extractors.base import ExtractionResult, Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["Engine", "RecordsCallback", "RecordsEngine", "ResultCallback"]

ResultCallback = Callable[[ExtractionResult], None]
"""Called once per report with its findings or its failure."""

RecordsCallback = Callable[[Sequence[str]], None]
"""Called with the records (``engines._records``) of the next reports, in input order."""


class Engine(ABC):
    """Base class of every engine. One abstract method: ``run``; ``run_records`` hands over
    the same results as records (text lines), which engines whose workers already write them
    override, so that no result is rebuilt as objects only to be written out again."""

    resumed_: int = 0
    """Reports whose results the engine read back from its own store instead of extracting."""

    @abstractmethod
    def run(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_result: ResultCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Extract ``reports`` with ``extractor``; call ``on_result`` exactly once per report."""

    def run_records(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_records: RecordsCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Extract ``reports``; hand every report's record to ``on_records``, in input order
        (results that ``run`` hands over early, as an LLM's streamed answers, wait their turn)."""
        position = {report.id: number for number, report in enumerate(reports)}
        unique = len(position) == len(reports)  # else as they come (the rule engine's order)
        in_order = InOrder(on_records)

        def keep(result: ExtractionResult) -> None:
            in_order.add(position[result.report_id] if unique else in_order.next,
                         (result_record(result),))

        self.run(reports, extractor=extractor, progress=progress, on_result=keep)


class RecordsEngine(Engine):
    """An engine whose workers return records (worker processes, Ray): ``run_records`` is the
    one to write; ``run`` hands each record on as its result."""

    def run(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_result: ResultCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        self.run_records(reports, extractor=extractor, on_records=each_result(on_result),
                         progress=progress)

    @abstractmethod
    def run_records(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_records: RecordsCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        """Extract ``reports``; hand every report's record to ``on_records``, in input order."""
