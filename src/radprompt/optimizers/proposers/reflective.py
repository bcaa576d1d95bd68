"""The reflective proposer: an LLM rewrites a failing label's guidance from its error examples.

For each target label it renders ``prompts/propose_revision.j2`` with the label, its current
guidance and a sample of its training errors (FP / FN, the sentence and the cause from
``analyse_errors``), asks the model (the program's own recipe unless ``model`` is given), and
turns the answer ``{"guidance": ..., "rationale": ...}`` into a ``set_guidance`` revision. It
also offers a ``set_demos`` revision per label: up to ``demos_per_label`` training reports the
label was wrong on, with their reference answers, for the search to take or leave. Requests go
through the same cache as extraction (the run's ``cache.sqlite``): a resumed round replays them.

Example (``options: reflective: {...}`` in ``optimizers/error_driven.yaml``)::

    >>> proposer = ReflectiveProposer(max_errors=12, temperature=0.7)
    >>> proposer.program_kinds
    ('prompt',)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from radprompt.llm import LLMRecipe, ModelClient, Usage
from radprompt.llm.calls import (
    Answered,
    AnswerError,
    ParsedWith,
    ask_structured,
    open_client,
    pick_json,
    run_sync,
)
from radprompt.optimizers.analysis import ErrorExample, LabelErrors
from radprompt.optimizers.program import Revision
from radprompt.optimizers.prompt_program import PromptProgram, demo_values
from radprompt.optimizers.proposers.base import ProposalContext, Proposer
from radprompt.prompts import Demo, prompt_environment

__all__ = ["ReflectiveProposer"]

logger = logging.getLogger(__name__)
TEMPLATE = "propose_revision.j2"


class ReflectiveProposer(Proposer):
    """One ``set_guidance`` revision (and one ``set_demos``) per failing label, from a model."""

    name: ClassVar[str] = "reflective"
    program_kinds: ClassVar[tuple[str, ...]] = ("prompt",)

    def __init__(self, *, max_errors: int = 12, max_words: int = 250, temperature: float = 0.7,
                 max_tokens: int = 2048, demos_per_label: int = 2, model: str | None = None,
                 api_base: str | None = None, parse_retries: int = 2) -> None:
        self.max_errors = max_errors
        self.max_words = max_words
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.demos_per_label = demos_per_label
        self.model = model
        self.api_base = api_base
        self.parse_retries = parse_retries
        self.structured_output = False
        """Set from the extraction recipe (``structured_output: true``, a small local model)."""

    def propose(self, context: ProposalContext) -> list[Revision]:
        program = context.program
        if not isinstance(program, PromptProgram):
            raise TypeError("the reflective proposer revises prompt programs")
        guidance = run_sync(self._ask_all(program, context))
        revisions: list[Revision] = []
        for label_id, errors in context.errors.items():
            evidence = tuple(dict.fromkeys(e.report_id for e in errors.examples))[:20]
            cause = errors.causes.most_common(1)[0][0] if errors.examples else ""
            answer = guidance.get(label_id)
            if answer is not None:
                text, rationale = answer
                revision = Revision(kind="set_guidance", label_id=label_id, value=text,
                                    rationale=rationale, cause=cause, evidence=evidence,
                                    proposer=self.name)
                if revision.key not in context.rejected:
                    revisions.append(revision)
            demos, sources = self._demos(context, errors)
            if demos:
                revision = Revision(kind="set_demos", label_id=label_id,
                                    value=demo_values(demos), cause=cause,
                                    rationale=f"{len(demos)} training report(s) the label was "
                                              "wrong on, as examples",
                                    evidence=sources, proposer=self.name)
                if revision.key not in context.rejected:
                    revisions.append(revision)
        return revisions

    def recipe_for(self, recipe: LLMRecipe) -> LLMRecipe:
        """The proposer's recipe: the extraction recipe with its own model and decoding."""
        self.structured_output = recipe.structured_output is True
        changes: dict[str, Any] = {"temperature": self.temperature, "max_tokens": self.max_tokens,
                                   "structured_output": False}
        if self.model:
            changes["model"] = self.model
        if self.api_base:
            changes["api_base"] = self.api_base
        return LLMRecipe.model_validate({**recipe.model_dump(), **changes})

    async def _ask_all(self, program: PromptProgram,
                       context: ProposalContext) -> dict[str, tuple[str, str]]:
        labels = [label_id for label_id, errors in context.errors.items() if errors.examples
                  and label_id in program.version.guidance]
        async with open_client(self.recipe_for(program.recipe)) as client:
            self.usage_: Usage = client.usage
            answers = await asyncio.gather(*(self._ask(client, program,
                                                       context.errors[label_id])
                                             for label_id in labels))
        return {label_id: answer for label_id, answer in zip(labels, answers, strict=True)
                if answer is not None}

    async def _ask(self, client: ModelClient, program: PromptProgram,
                   errors: LabelErrors) -> tuple[str, str] | None:
        sample = _sample(errors.examples, self.max_errors)
        return await self.ask_with_errors(
            client, program, label_id=errors.label_id,
            guidance=program.version.guidance[errors.label_id], total=len(errors.examples),
            errors=[{"kind": e.error, "cause": e.cause, "reference": e.reference.value,
                     "predicted": e.predicted.value, "other_label": e.other_label,
                     "sentence": " ".join(e.sentence.split())} for e in sample])

    async def ask_with_errors(self, client: ModelClient, program: PromptProgram, *,
                              label_id: str, guidance: str, errors: list[dict[str, Any]],
                              total: int | None = None) -> tuple[str, str] | None:
        """The model's (guidance, rationale) for ``label_id`` from ``errors`` (dicts with
        kind, cause, reference, predicted, other_label, sentence), or None if it gave none."""
        template = prompt_environment().get_template(TEMPLATE)
        label = program.labelset.get(label_id)
        variables = {
            "label": {"id": label.id, "name": label.name, "definition": label.definition},
            "guidance": guidance, "errors": errors[: self.max_errors],
            "total_errors": total if total is not None else len(errors),
            "max_words": self.max_words, "problem": "",
        }
        blocks = {}
        for block in ("system", "user"):
            context = template.new_context(variables)
            blocks[block] = "".join(template.blocks[block](context)).strip()
        messages = [{"role": "system", "content": blocks["system"]},
                    {"role": "user", "content": blocks["user"]}]

        def reask(problem: str) -> dict[str, str]:
            context = template.new_context({**variables, "problem": problem})
            return {"role": "user",
                    "content": "".join(template.blocks["retry"](context)).strip()}

        outcome = await ask_structured(
            client, messages, ParsedWith(_parse, _ProposalAnswer.model_json_schema()),
            retries=self.parse_retries, reask=reask, structured=self.structured_output,
            schema_name="proposal")
        if isinstance(outcome, Answered):
            answer: tuple[str, str] = outcome.value
            return answer
        logger.warning("label %s: no usable proposal: %s", label.id, outcome.reason)
        return None

    def _demos(self, context: ProposalContext,
               errors: LabelErrors) -> tuple[list[Demo], tuple[str, ...]]:
        texts = {report.id: report.text for report in context.train.reports}
        demos, sources = [], []
        for example in _sample(errors.examples, self.demos_per_label):
            reference = context.train.references.get(example.report_id)
            if reference is not None and example.report_id in texts:
                demos.append(Demo.from_findings(texts[example.report_id], reference))
                sources.append(example.report_id)
        return demos, tuple(sources)


def _sample(examples: list[ErrorExample], limit: int) -> list[ErrorExample]:
    """Up to ``limit`` examples, alternating FN and FP so both kinds are seen."""
    missed = [e for e in examples if e.error == "FN"]
    flagged = [e for e in examples if e.error == "FP"]
    chosen: list[ErrorExample] = []
    while len(chosen) < limit and (missed or flagged):
        for pool in (missed, flagged):
            if pool and len(chosen) < limit:
                chosen.append(pool.pop(0))
    return chosen


class _ProposalAnswer(BaseModel):
    """The proposer's answer, as structured output asks for it."""

    model_config = ConfigDict(extra="forbid")
    guidance: str
    rationale: str


def _parse(text: str) -> tuple[str, str]:
    data = pick_json(text)
    if not isinstance(data.get("guidance"), str):
        raise AnswerError('the answer needs a "guidance" string')
    guidance = data["guidance"].strip()
    if not guidance:
        raise AnswerError('"guidance" is empty')
    return guidance, str(data.get("rationale", "")).strip()
