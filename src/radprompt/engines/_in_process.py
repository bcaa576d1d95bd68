"""Extraction in this process: the rule engine in chunks, an LLM extractor as it streams."""

from __future__ import annotations

from collections.abc import Sequence

from radprompt.engines.base import Engine, ResultCallback
from radprompt.extractors.base import Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["InProcessEngine"]


class InProcessEngine(Engine):
    """Run the extractor here, on one core (an LLM extractor keeps its own concurrency).

    Example::

        >>> from radprompt.extractors.rules import RulesExtractor
        >>> from radprompt.labelset import load_labelset
        >>> extractor = RulesExtractor(labelset=load_labelset("chestxray21"))
        >>> found = []
        >>> InProcessEngine().run([Report(id="r1", text="Small left pleural effusion.")],
        ...                       extractor=extractor, on_result=found.append)
        >>> found[0].state("pleural_effusion").value
        'present'
    """

    def run(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_result: ResultCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        extractor.extract_each(reports, on_result=on_result, progress=progress)
