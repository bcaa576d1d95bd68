"""Shared pieces of the engine tests: the rule engine with a worker that kills itself."""

from __future__ import annotations

import os
import signal
from collections.abc import Sequence
from pathlib import Path

from radprompt.extractors.base import ExtractionResult, ProgressCallback
from radprompt.extractors.rules import RulesExtractor
from radprompt.reports import Report


class KillingRulesExtractor(RulesExtractor):
    """The rule engine, but the worker process (or Ray worker) that meets ``victim`` kills
    itself (SIGKILL) while ``marker`` does not exist yet (or every time, with ``always``)."""

    def __init__(self, *, victim: str, marker: Path, always: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.victim, self.marker, self.always = victim, marker, always

    def extract(self, reports: Sequence[Report], *,
                progress: ProgressCallback | None = None) -> list[ExtractionResult]:
        if any(report.id == self.victim for report in reports):
            try:
                os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL))
                first = True
            except FileExistsError:
                first = False
            if first or self.always:
                os.kill(os.getpid(), signal.SIGKILL)
        return super().extract(reports, progress=progress)
