"""The Extractor plug-in kind: turn reports into per-label findings."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radprompt.findings import Findings
from radprompt.labelset import LabelSet
from radprompt.reports import Report

if TYPE_CHECKING:
    from radprompt.llm import Usage

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

CHUNK = 500
"""Reports per ``extract`` call for extractors that cannot hand results over one by one."""


class Extractor(ABC):
    """Base class of every extractor. One abstract method: ``extract``.

    What callers need beyond ``extract`` is stated here, never guessed from the class:
    ``extract_each`` hands each result over as soon as it exists (an LLM extractor streams;
    others are called in chunks), ``fingerprint`` says what decides the output (a resumed
    run reuses findings only from the same fingerprint), and ``usage_`` holds the requests,
    tokens and cost of the model calls so far (``None`` for extractors that call no model).
    """

    usage_: Usage | None = None
    journaled: bool = True
    """Whether ``radprompt extract`` journals each finished report so that a killed run resumes
    (``False`` for an extractor that reads a report faster than the journal writes it)."""

    @abstractmethod
    def extract(
        self, reports: Sequence[Report], *, progress: ProgressCallback | None = None
    ) -> list[ExtractionResult]:
        """Return one result per report, in the order given."""

    def extract_each(
        self,
        reports: Sequence[Report],
        *,
        on_result: Callable[[ExtractionResult], None],
        progress: ProgressCallback | None = None,
    ) -> None:
        """Call ``on_result`` with every report's result, in chunks of ``CHUNK`` reports
        (extractors that can hand results over one by one override this)."""
        for start in range(0, len(reports), CHUNK):
            for result in self.extract(reports[start:start + CHUNK], progress=progress):
                on_result(result)

    def fingerprint(self, *, labelset: LabelSet) -> str:
        """What decides this extractor's output: its class and the labelset's content (an
        optimized labelset keeps its name and version but not its phrases)."""
        # Guard examples test a labelset; they do not change what it extracts.
        text = labelset.model_dump_json(exclude={"labels": {"__all__": {"examples"}}})
        content = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
        return f"{type(self).__name__} {labelset.name}@{labelset.version} {content}"
