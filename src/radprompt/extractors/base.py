"""The Extractor plug-in kind: turn reports into per-label findings."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from radprompt.findings import Findings
from radprompt.reports import Report

__all__ = ["ExtractionFailure", "ExtractionResult", "Extractor", "ProgressCallback"]

ProgressCallback = Callable[[int], None]
"""Called with the number of reports finished since the last call."""


@dataclass(frozen=True, slots=True)
class ExtractionFailure:
    """A report the extractor could not label; never counted as "absent"."""

    report_id: str
    reason: str
    raw_output: str | None = None


ExtractionResult = Findings | ExtractionFailure


class Extractor(ABC):
    """Base class of every extractor. One abstract method: ``extract``."""

    @abstractmethod
    def extract(
        self, reports: Sequence[Report], *, progress: ProgressCallback | None = None
    ) -> list[ExtractionResult]:
        """Return one result per report, in the order given."""
