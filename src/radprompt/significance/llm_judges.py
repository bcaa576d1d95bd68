"""LLM evaluators of clinical significance, one-pass and two-pass, and an LLM paraphraser.

- ``OnePassJudge`` shows the model the reference and the candidate and asks at once whether
  the candidate carries a clinically significant error, and of which type
  (``prompts/significance_one_pass.j2``): one request per pair.
- ``TwoPassJudge`` first asks for every difference between the two reports
  (``significance_two_pass_differences.j2``), then, one request per difference, whether that
  difference is clinically significant (``significance_two_pass_judge.j2``): 1 + k requests
  for k differences. Listing before judging lets harmless differences be named and dismissed
  one by one, at the price of more requests and tokens.

Both are metrics: per pair, ``score`` is 1 when no significant error is found, else 0 (the
two-pass score is ``1 / (1 + significant differences)``, so it also ranks); a pair whose
request failed or whose answer never fitted scores NaN. The error types the prompts list are
the significant perturbation kinds with their descriptions. Requests go through
``radprompt.llm``'s client (disk cache, concurrency, retries, token and cost accounting);
after ``compute``, ``usage_`` holds the requests and tokens of every call so far.

Example::

    >>> judge = OnePassJudge(model="hosted_vllm/Qwen/Qwen3-14B",
    ...                      api_base="http://127.0.0.1:8000/v1")
    >>> # judge.compute(predictions=[candidate], references=[reference]).sample_scores
"""

from __future__ import annotations

import asyncio
import math
import re
from abc import abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.errors import RadpromptError
from radprompt.llm.calls import (
    Answered,
    AnswerError,
    ParsedWith,
    ask_structured,
    pick_json,
    strip_thinking,
)
from radprompt.llm.model_access import ModelAccess
from radprompt.metrics.base import Metric, MetricResult, mean_result
from radprompt.reports import Report

if TYPE_CHECKING:
    from radprompt.llm import ModelClient, Usage

__all__ = ["LLMParaphraser", "OnePassJudge", "TwoPassJudge", "VerdictError", "error_types"]

class VerdictError(AnswerError):
    """An answer that cannot be used; ``str(error)`` is sent back to the model."""


def error_types() -> list[dict[str, str]]:
    """The significant perturbation kinds and their descriptions, as the prompts list them."""
    from radprompt.significance import PERTURBATIONS

    return [{"name": name, "description": operator.description.split(": ", 1)[-1]}
            for name, operator in PERTURBATIONS.items() if operator.significant]


def answer_object(text: str) -> dict[str, Any]:
    """The first JSON object in an answer (after any ``<think>`` block)."""
    try:
        return pick_json(text)
    except AnswerError as exc:
        raise VerdictError(str(exc)) from exc


def _flag(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
        return value.strip().lower() in ("true", "yes")
    if not isinstance(value, bool):
        raise VerdictError(f'"{key}" must be true or false')
    return value


class _Template:
    """One Jinja template of ``prompts/`` with blocks, rendered with StrictUndefined."""

    def __init__(self, name: str | Path) -> None:
        from radprompt.prompts import prompt_environment
        from radprompt.resources import find_resource

        path = find_resource("prompts", name, suffix=".j2")
        self.name = path.stem
        self.template = prompt_environment().from_string(path.read_text(encoding="utf-8"))

    def block(self, block: str, **context: Any) -> str:
        rendered = self.template.blocks[block](self.template.new_context(context))
        return "".join(rendered).strip()


async def _ask(client: ModelClient, template: _Template, context: Mapping[str, Any],
               parse: Callable[[str], Any], retries: int, *,
               schema: Mapping[str, Any] | None = None) -> Any:
    """Send the template's messages; re-ask with the problem until ``parse`` accepts
    (``schema``: the answer's JSON Schema, sent as structured output)."""
    messages: list[dict[str, str]] = [
        {"role": "system", "content": template.block("system", **context)},
        {"role": "user", "content": template.block("user", **context)},
    ]
    try:
        outcome = await ask_structured(
            client, messages, ParsedWith(parse, schema),
            retries=retries, store="always", structured=schema is not None,
            reask=lambda problem: {"role": "user", "content": template.block(
                "retry", **context, problem=problem)})
    except RadpromptError as exc:  # a stop of the whole run: every pair says why
        return f"request failed: {exc}"
    return outcome.value if isinstance(outcome, Answered) else outcome.reason


@dataclass(frozen=True)
class JudgeVerdict:
    significant: bool
    error_type: str
    explanation: str
    differences: int = 0
    significant_differences: int = 0


class _Judge(ModelAccess, Metric):
    needs_model = True

    @abstractmethod
    async def _judge(self, client: ModelClient, *, reference: str, candidate: str,
                     structured: bool) -> JudgeVerdict | str:
        """The verdict on one pair, or why there is none (``structured``: the server is asked
        to constrain answers to a schema, where the judge has one)."""

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        outcomes = self._run(lambda client, structured: [
            self._judge(client, reference=reference, candidate=candidate, structured=structured)
            for candidate, reference in zip(predictions, references, strict=True)])
        verdicts = [o for o in outcomes if isinstance(o, JudgeVerdict)]
        score = [math.nan if not isinstance(o, JudgeVerdict) else
                 1.0 / (1.0 + o.significant_differences) if o.differences else
                 float(not o.significant) for o in outcomes]
        failures = [o for o in outcomes if not isinstance(o, JudgeVerdict)]
        usage = self.usage_ or Usage()  # _run always sets it
        notes = [f"{self.name} {self.model_name_}: {usage.requests} request(s), "
                 f"{usage.cache_hits} cached, {usage.prompt_tokens} prompt + "
                 f"{usage.completion_tokens} completion tokens so far"]
        if failures:
            notes.append(f"{len(failures)} pair(s) not judged (first: {failures[0]})")
        logged = f"{len(verdicts)} judged, {len(failures)} failed"
        return mean_result(
            self.name, {"score": score}, primary="score",
            extra_per_sample={"significant": [math.nan if not isinstance(o, JudgeVerdict) else
                                              float(o.significant) for o in outcomes]},
            notes=[*notes, logged],
            texts={"error_type": [o.error_type if isinstance(o, JudgeVerdict) else "" for o in
                                  outcomes],
                   "explanation": [o.explanation if isinstance(o, JudgeVerdict) else o for o in
                                   outcomes]},
        )


DIFFERENCES_CHARS = 200
"""The longest ``differences`` text of a one-pass verdict ("one or two sentences"): its
``maxLength`` under structured output (a small model otherwise writes it until ``max_tokens``)."""


def one_pass_schema(*, differences_chars: int = DIFFERENCES_CHARS) -> dict[str, Any]:
    """The one-pass judge's answer as structured output asks for it: a capped free text, the
    verdict, and an error type from the prompt's list."""
    names = [error["name"] for error in error_types()]
    return {
        "type": "object",
        "properties": {
            "differences": {"type": "string", "maxLength": differences_chars},
            "significant_error": {"type": "boolean"},
            "error_type": {"type": "string", "enum": [*names, "other", "none"]},
        },
        "required": ["differences", "significant_error", "error_type"],
        "additionalProperties": False,
    }


def _parse_one_pass(text: str) -> JudgeVerdict:
    data = answer_object(text)
    significant = _flag(data, "significant_error")
    return JudgeVerdict(significant=significant, error_type=str(data.get("error_type") or ""),
                        explanation=str(data.get("differences") or ""))


class OnePassJudge(_Judge):
    """Significant error yes / no (with its type) from one request per pair."""

    name = "judge_one_pass"
    description = "LLM judge, one pass: clinically significant error yes / no"

    def __init__(self, *, template: str | Path = "significance_one_pass",
                 differences_chars: int = DIFFERENCES_CHARS, **model_options: Any) -> None:
        super().__init__(**model_options)
        if differences_chars < 1:
            raise ValueError("differences_chars must be at least 1")
        self.template = template
        self.differences_chars = differences_chars

    async def _judge(self, client: ModelClient, *, reference: str, candidate: str,
                     structured: bool) -> JudgeVerdict | str:
        context = {"error_types": error_types(), "reference": reference, "candidate": candidate,
                   "differences_chars": self.differences_chars}
        schema = one_pass_schema(differences_chars=self.differences_chars) if structured else None
        result: JudgeVerdict | str = await _ask(client, _cached_template(self.template), context,
                                           _parse_one_pass, self.parse_retries, schema=schema)
        return result


def _parse_differences(text: str) -> list[dict[str, str]]:
    data = answer_object(text)
    items = data.get("differences")
    if not isinstance(items, list):
        raise VerdictError('"differences" must be a list (empty when there is none)')
    differences = []
    for item in items:
        if not isinstance(item, dict) or not item.get("description"):
            raise VerdictError('each difference is {"reference": ..., "candidate": ..., '
                               '"description": "..."}')
        differences.append({key: "" if item.get(key) is None else str(item.get(key))
                            for key in ("reference", "candidate", "description")})
    return differences


def _parse_difference_verdict(text: str) -> JudgeVerdict:
    data = answer_object(text)
    return JudgeVerdict(significant=_flag(data, "clinically_significant"),
                   error_type=str(data.get("error_type") or ""),
                   explanation=str(data.get("reasoning") or ""))


class TwoPassJudge(_Judge):
    """First the differences (one request), then each difference's significance."""

    name = "judge_two_pass"
    description = "LLM judge, two passes: list differences, then judge each one"

    def __init__(self, *, differences_template: str | Path = "significance_two_pass_differences",
                 judge_template: str | Path = "significance_two_pass_judge",
                 **model_options: Any) -> None:
        super().__init__(**model_options)
        self.differences_template = differences_template
        self.judge_template = judge_template

    async def _judge(self, client: ModelClient, *, reference: str, candidate: str,
                     structured: bool) -> JudgeVerdict | str:
        context = {"reference": reference, "candidate": candidate}
        listed = await _ask(client, _cached_template(self.differences_template), context,
                            _parse_differences, self.parse_retries)
        if isinstance(listed, str):
            return listed
        judge = _cached_template(self.judge_template)
        verdicts = await asyncio.gather(*(
            _ask(client, judge, {**context, "error_types": error_types(), "difference": item},
                 _parse_difference_verdict, self.parse_retries) for item in listed))
        failed = [v for v in verdicts if isinstance(v, str)]
        if failed:
            return failed[0]
        significant = [v for v in verdicts if v.significant]
        return JudgeVerdict(
            significant=bool(significant),
            error_type=significant[0].error_type if significant else "none",
            explanation="; ".join(
                f"{item['description']} ({'significant' if v.significant else 'harmless'})"
                for item, v in zip(listed, verdicts, strict=True)),
            differences=len(listed),
            significant_differences=len(significant),
        )


_TEMPLATES: dict[str, _Template] = {}


def _cached_template(name: str | Path) -> _Template:
    key = str(name)
    if key not in _TEMPLATES:
        _TEMPLATES[key] = _Template(name)
    return _TEMPLATES[key]


@dataclass(frozen=True)
class _Paraphrase:
    text: str


def _parse_paraphrase(text: str) -> _Paraphrase:
    text = strip_thinking(text).strip()
    text = re.sub(r"^\s*<report>\s*|\s*</report>\s*$", "", text).strip()
    if not text:
        raise VerdictError("the answer is empty; answer with the rewritten report")
    return _Paraphrase(text)


class LLMParaphraser(ModelAccess):
    """Paraphrases whole reports through a model (``prompts/significance_paraphrase.j2``).

    Give the result of ``paraphrase`` to ``generate_pairs(paraphrases=...)``, which keeps a
    paraphrase only when the rule engine reads the same findings from it.
    """

    def __init__(self, *, template: str | Path = "significance_paraphrase",
                 **model_options: Any) -> None:
        super().__init__(**model_options)
        self.template = template

    def paraphrase(self, reports: Sequence[Report]) -> dict[str, str]:
        """Report id -> paraphrase, for the reports whose answer could be used."""
        template = _cached_template(self.template)
        outcomes = self._run(lambda client, _structured: [
            _ask(client, template, {"report": report.text}, _parse_paraphrase,
                 self.parse_retries) for report in reports])
        return {report.id: outcome.text for report, outcome in zip(reports, outcomes,
                                                                    strict=True)
                if isinstance(outcome, _Paraphrase)}
