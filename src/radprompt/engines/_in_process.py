"""Extraction in this process: the rule engine in chunks, an LLM extractor as it streams."""

from __future__ import annotations

from collections.abc import Sequence

from radprompt.engines.base import Engine, ResultCallback
from radprompt.extractors.base import Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["InProcessEngine"]

CHUNK = 500
"""Reports per call for extractors that cannot hand results over one by one."""


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
        from radprompt.extractors.llm import LLMExtractor

        if isinstance(extractor, LLMExtractor):
            extractor.extract(reports, progress=progress, on_result=on_result)
            return
        for start in range(0, len(reports), CHUNK):
            for result in extractor.extract(reports[start:start + CHUNK], progress=progress):
                on_result(result)
