"""The LLM extractor: render a PromptVersion per report, ask a model, validate the answer.

In ``all`` mode a report costs one request (every label in one JSON answer); in ``mentioned``
mode one request whose answer lists only the labels the report mentions (compact, for small or
slow models: ``radprompt.llm.compact``); in ``label`` mode one request per label (the Ran Score
way). An answer that does not fit the schema is sent back
with the problem (``parse_retries`` times); a report whose answer still does not fit, or whose
request failed after its retries, becomes an ``ExtractionFailure`` with the reason and the raw
answer: never "absent". An evidence quote not found in the report is dropped and flagged, and a
"present" it was meant to support is kept as "uncertain" (evidence not found), never present.
An answer that marks an implausible share of the labels present without any evidence (a sign
of instructions planted in the report text) is flagged for review (``LLMFindings.review``).

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.llm import LLMRecipe
    >>> extractor = LLMExtractor(
    ...     labelset=load_labelset("chestxray21"),
    ...     recipe=LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1"),
    ... )
    >>> # extractor.extract(reports) -> [Findings | ExtractionFailure, ...]
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from radprompt.extractors.base import (
    ExtractionFailure,
    ExtractionResult,
    Extractor,
    ProgressCallback,
)
from radprompt.findings import Finding, Findings, State, derive_labels
from radprompt.labelset import LabelSet
from radprompt.llm import LLMRecipe, ModelClient
from radprompt.llm.calls import Answered, ask_structured, open_client, run_sync
from radprompt.llm.compact import answer_token_cap, mentioned_schema, parse_mentioned
from radprompt.llm.parsing import EvidenceFlag, ParsedAnswer, answer_schema, parse_answer
from radprompt.prompts import Demo, PromptVersion
from radprompt.reports import Report

__all__ = ["FindingsAnswer", "LLMExtractor", "LLMFindings", "run_sync"]

logger = logging.getLogger(__name__)
ResultCallback = Callable[[ExtractionResult], None]


IMPLAUSIBLE_SHARE = 0.5
"""An answer marking at least this share of the asked labels present without evidence ..."""
IMPLAUSIBLE_MINIMUM = 3
"""... and at least this many, is flagged for review."""


@dataclass(frozen=True)
class LLMFindings(Findings):
    """Findings with the evidence quotes the model gave that are not in the report;
    ``downgraded``: labels answered "present" with such a quote, kept as "uncertain";
    ``review``: why the answer as a whole needs a person's look (``None``: it does not)."""

    flags: tuple[EvidenceFlag, ...] = ()
    downgraded: tuple[str, ...] = ()
    review: str | None = None

    def to_json(self) -> dict[str, Any]:
        data = super().to_json()
        if self.flags:
            data["flags"] = [{**flag.to_json(), **({"given": "present", "kept_as": "uncertain"}
                                                   if flag.label_id in self.downgraded else {})}
                             for flag in self.flags]
        if self.review:
            data["review"] = self.review
        return data


def _check_evidence(states: dict[str, Finding], flags: list[EvidenceFlag],
                    asked: int) -> tuple[tuple[str, ...], str | None]:
    """Demote "present" findings whose quote is not in the report to "uncertain" (in place);
    say why an answer needs review when too many labels are present without evidence."""
    downgraded = []
    for flag in flags:
        finding = states.get(flag.label_id)
        if finding is not None and finding.state is State.PRESENT:
            states[flag.label_id] = Finding(State.UNCERTAIN, None, finding.attributes)
            downgraded.append(flag.label_id)
    unsupported = sum(1 for finding in states.values()
                      if finding.state is State.PRESENT and finding.evidence is None)
    unsupported += len(downgraded)
    review = None
    if unsupported >= IMPLAUSIBLE_MINIMUM and unsupported >= IMPLAUSIBLE_SHARE * asked:
        review = (f"{unsupported} of {asked} labels answered present without evidence found in "
                  "the report; check the report for instructions to the model")
    return tuple(downgraded), review


@dataclass(frozen=True)
class _Failed:
    reason: str
    raw: str | None


@dataclass(frozen=True)
class FindingsAnswer:
    """The answer model of one request: the schema for ``label_ids`` and ``parse_answer``."""

    label_ids: tuple[str, ...]
    report_text: str
    mode: str = "all"

    def json_schema(self) -> dict[str, Any]:
        if self.mode == "mentioned":
            return mentioned_schema(self.label_ids)
        return answer_schema(self.label_ids)

    def parse(self, text: str, *, cut_off: bool = False) -> ParsedAnswer:
        read = parse_mentioned if self.mode == "mentioned" else parse_answer
        return read(text, label_ids=self.label_ids, report_text=self.report_text,
                    cut_off=cut_off)

    def max_tokens(self, wanted: int) -> int:
        """``wanted``, lowered to what an answer of the schema can take."""
        return min(wanted, answer_token_cap(label_ids=self.label_ids, mode=self.mode,
                                            report_text=self.report_text))


async def _first_failure(tasks: Sequence[asyncio.Future[None]]) -> None:
    """Wait for ``tasks``; on the first exception cancel the rest and raise it."""
    if not tasks:
        return
    done, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    for task in done:
        if not task.cancelled() and (error := task.exception()) is not None:
            raise error


class LLMExtractor(Extractor):
    """Findings from a model through a ``PromptVersion`` (by default the labelset's root one).

    ``client`` replaces the one the recipe describes (tests, shared caches). After each
    ``extract`` call, ``usage_`` holds its requests, tokens and cost.
    """

    def __init__(
        self,
        *,
        labelset: LabelSet,
        recipe: LLMRecipe,
        prompt: PromptVersion | None = None,
        client: ModelClient | None = None,
    ) -> None:
        self.labelset = labelset
        self.recipe = recipe
        self.prompt = prompt
        self.client = client

    def prompt_version(self) -> PromptVersion:
        if self.prompt is not None:
            return self.prompt
        return PromptVersion.from_labelset(
            self.labelset, mode=self.recipe.mode, template=self.recipe.template,
            demos=self._demos(),
        )

    def _demos(self) -> list[Demo]:
        if not self.recipe.demos:
            return []
        from radprompt.reports import read_dataset

        dataset = read_dataset(self.recipe.demos, labelset=self.labelset)
        return [Demo.from_findings(report.text, dataset.references[report.id])
                for report in dataset.reports if report.id in dataset.references]

    def extract(
        self,
        reports: Sequence[Report],
        *,
        progress: ProgressCallback | None = None,
        on_result: ResultCallback | None = None,
    ) -> list[ExtractionResult]:
        """One result per report, in order; ``on_result`` sees each as soon as it is done."""
        return run_sync(self.aextract(reports, progress=progress, on_result=on_result))

    def extract_each(self, reports: Sequence[Report], *, on_result: ResultCallback,
                     progress: ProgressCallback | None = None) -> None:
        """Every result to ``on_result`` as soon as its answer is in (no chunks)."""
        self.extract(reports, progress=progress, on_result=on_result)

    def fingerprint(self, *, labelset: LabelSet) -> str:
        """The prompt version's hash, the model and its decoding parameters."""
        recipe = self.recipe
        return (f"llm {self.prompt_version().hash[:16]} {recipe.model} "
                f"{sorted(recipe.decoding_params().items())} "
                f"structured={recipe.uses_structured_output}")

    async def aextract(
        self,
        reports: Sequence[Report],
        *,
        progress: ProgressCallback | None = None,
        on_result: ResultCallback | None = None,
    ) -> list[ExtractionResult]:
        version = self.prompt_version()
        async with open_client(self.recipe, client=self.client) as client:
            return await self._run(client, version, reports, progress, on_result)

    async def _run(self, client: ModelClient, version: PromptVersion, reports: Sequence[Report],
                   progress: ProgressCallback | None,
                   on_result: ResultCallback | None) -> list[ExtractionResult]:
        results: list[ExtractionResult | None] = [None] * len(reports)
        queue = iter(enumerate(reports))

        async def worker() -> None:
            # Reports are taken in order and only when a worker is free, so a large input is
            # never rendered all at once and requests start at once.
            for index, report in queue:
                result = await self._extract_report(client, version, report)
                results[index] = result
                if on_result is not None:
                    on_result(result)
                if progress is not None:
                    progress(1)

        workers = [asyncio.ensure_future(worker())
                   for _ in range(min(len(reports), 2 * client.concurrency))]
        try:
            # The first worker to fail (an LLMStopError: a configuration error, or a server
            # that cannot be reached) stops the others; what they finished is handed over.
            await _first_failure(workers)
        finally:
            self.usage_ = client.usage
        return [result for result in results if result is not None]

    async def _extract_report(
        self, client: ModelClient, version: PromptVersion, report: Report
    ) -> ExtractionResult:
        groups = version.requests()
        answers = await asyncio.gather(*(self._ask(client, version, report, group)
                                         for group in groups))
        failed = [(group, answer) for group, answer in zip(groups, answers, strict=True)
                  if isinstance(answer, _Failed)]
        if failed:
            if len(groups) == 1:
                return ExtractionFailure(report.id, failed[0][1].reason, failed[0][1].raw)
            reasons = "; ".join(f"{group[0]}: {answer.reason}" for group, answer in failed[:3])
            more = f" (and {len(failed) - 3} more labels)" if len(failed) > 3 else ""
            raw = json.dumps({group[0]: answer.raw for group, answer in failed})
            return ExtractionFailure(report.id, f"{len(failed)} label(s) failed: {reasons}"
                                     f"{more}", raw)
        states: dict[str, Finding] = {}
        flags: list[EvidenceFlag] = []
        for answer in answers:
            assert isinstance(answer, ParsedAnswer)
            # As the rule engine writes them: a label left out is not mentioned.
            states.update((label_id, finding) for label_id, finding in answer.states.items()
                          if finding.state is not State.NOT_MENTIONED)
            flags.extend(answer.flags)
        downgraded, review = _check_evidence(states, flags, len(version.label_ids))
        derived = derive_labels(Findings(report_id=report.id, states=states), self.labelset)
        return LLMFindings(report_id=report.id, states=derived.states, flags=tuple(flags),
                           downgraded=downgraded, review=review)

    async def _ask(
        self, client: ModelClient, version: PromptVersion, report: Report,
        label_ids: tuple[str, ...],
    ) -> ParsedAnswer | _Failed:
        label_id = label_ids[0] if version.mode == "label" else None
        messages = version.render(report.text, label_id=label_id)
        answer = FindingsAnswer(label_ids, report.text, version.mode)
        structured = self.recipe.uses_structured_output
        outcome = await ask_structured(
            client, messages, answer, retries=self.recipe.parse_retries, structured=structured,
            schema_name="findings",
            # the grammar holds the answer to the schema, so its size bounds the answer
            max_tokens=answer.max_tokens(self.recipe.max_tokens) if structured else None,
            reask=lambda problem: version.retry_message(problem, label_id=label_id))
        if isinstance(outcome, Answered):
            parsed: ParsedAnswer = outcome.value
            return parsed
        return _Failed(outcome.reason, outcome.raw)
