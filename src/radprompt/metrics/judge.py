"""LLM as judge: a rubric (Prometheus style) graded by any model LiteLLM or vLLM serves.

For each pair the model reads the reference and the generated report and grades every
criterion from 1 to 5 with a short justification (at most ``justification_chars`` characters:
under structured output the schema caps it, so a model that would write on is stopped there);
``score`` is the weighted total rescaled to 0-1 (``sum(w * (s - 1) / 4) / sum(w)``). The
rubric's wording is the template ``prompts/judge_rubric.j2`` (blocks ``system``, ``user``,
``retry``, rendered with ``StrictUndefined``); Python only names the criteria and their
weights. Requests go through ``radprompt.llm``'s client: cached on disk by model, parameters
and exact messages (re-running costs nothing), concurrent, retried on HTTP 429 / 5xx; an answer
that does not fit is sent back with the problem. A pair whose answer still does not fit scores
NaN and is counted.

Example::

    >>> from radprompt.metrics.judge import Judge
    >>> judge = Judge(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1")
    >>> # judge.compute(predictions=[...], references=[...]).scores["score"]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from radprompt.llm.calls import Answered, AnswerError, ask_structured, pick_json
from radprompt.llm.model_access import ModelAccess
from radprompt.metrics.base import Metric, MetricResult, mean_result

if TYPE_CHECKING:
    from radprompt.llm import LLMRecipe, ModelClient

__all__ = ["DEFAULT_WEIGHTS", "JUSTIFICATION_CHARS", "Judge", "JudgementError",
           "parse_judgement"]

DEFAULT_WEIGHTS: dict[str, float] = {
    "accuracy": 0.4, "faithfulness": 0.25, "completeness": 0.25, "clarity": 0.1,
}
"""Criteria (each must have a rubric entry in the template) and their weights."""
JUSTIFICATION_CHARS = 200
"""The longest justification of one grade ("one or two sentences"): the rubric schema's
``maxLength``, which a grammar-decoding server enforces (a small model otherwise writes one
justification until ``max_tokens``)."""

class JudgementError(AnswerError):
    """An answer that cannot be used; ``str(error)`` is sent back to the model."""


@dataclass(frozen=True)
class Judgement:
    scores: dict[str, int]
    justifications: dict[str, str]


def parse_judgement(text: str, *, criteria: Sequence[str]) -> Judgement:
    """Read ``{"<criterion>": {"justification": ..., "score": 1-5}, ...}`` from an answer."""
    try:
        data = pick_json(text)
    except AnswerError as exc:
        raise JudgementError(str(exc)) from exc
    missing = [name for name in criteria if name not in data]
    if missing:
        raise JudgementError(f"the JSON object lacks key(s) {', '.join(missing)}")
    scores, justifications = {}, {}
    for name in criteria:
        value = data[name]
        if not isinstance(value, dict) or "score" not in value:
            raise JudgementError(f'"{name}" must be {{"justification": ..., "score": 1-5}}')
        score = value["score"]
        if isinstance(score, str) and score.strip().isdigit():
            score = int(score.strip())
        if isinstance(score, bool) or not isinstance(score, (int, float)) or \
                score != int(score) or not 1 <= score <= 5:
            raise JudgementError(f'"{name}": score {score!r} is not an integer from 1 to 5')
        scores[name] = int(score)
        justifications[name] = str(value.get("justification") or "").strip()
    return Judgement(scores, justifications)


@dataclass(frozen=True)
class _Rubric:
    """The judge's answer model: a pydantic schema per criterion, read by ``parse_judgement``."""

    criteria: tuple[str, ...]
    justification_chars: int = JUSTIFICATION_CHARS

    def json_schema(self) -> dict[str, Any]:
        from pydantic import BaseModel, ConfigDict, Field, create_model

        class Grade(BaseModel):
            model_config = ConfigDict(extra="forbid")
            justification: str = Field(max_length=self.justification_chars)
            # an enum, not minimum / maximum: llama-cpp-python's grammar ignores those, and
            # SmolLM2 graded "10"
            score: Literal[1, 2, 3, 4, 5]

        fields: dict[str, Any] = {name: (Grade, ...) for name in self.criteria}
        return create_model("Judgement", __config__=ConfigDict(extra="forbid"),
                            **fields).model_json_schema()

    def parse(self, text: str, *, cut_off: bool = False) -> Judgement:
        return parse_judgement(text, criteria=self.criteria)


class Judge(ModelAccess, Metric):
    """Rubric grades from a model.

    Give ``model`` (a LiteLLM model string, with ``api_base`` for a local server) or a full
    ``recipe`` (an ``LLMRecipe`` or a recipe file in ``extractors/``: cache, concurrency,
    retries, decoding), which ``model`` / ``api_base`` / ``allow_remote`` override. Reports go
    to a provider off this machine only with ``allow_remote=True``. ``client`` replaces the
    recipe's client (tests). ``weights`` maps criteria to weights; ``justification_chars``
    caps each justification (the prompt says so; structured output enforces it).
    """

    name = "judge"
    needs = "the judge"
    needs_model = True
    description = "LLM-as-judge rubric: accuracy, faithfulness, completeness, clarity (1-5)"

    def __init__(
        self,
        *,
        model: str | None = None,
        api_base: str | None = None,
        allow_remote: bool = False,
        recipe: LLMRecipe | str | Path | None = None,
        template: str | Path = "judge_rubric",
        weights: Mapping[str, float] | None = None,
        parse_retries: int = 2,
        client: ModelClient | None = None,
        justification_chars: int = JUSTIFICATION_CHARS,
    ) -> None:
        if justification_chars < 1:
            raise ValueError("justification_chars must be at least 1")
        super().__init__(model=model, api_base=api_base, allow_remote=allow_remote,
                         recipe=recipe, parse_retries=parse_retries, client=client)
        self.justification_chars = justification_chars
        self.template = template
        self.weights = weights

    def _template(self) -> Any:
        from radprompt.prompts import prompt_environment
        from radprompt.resources import find_resource

        path = find_resource("prompts", self.template, suffix=".j2")
        return prompt_environment().from_string(path.read_text(encoding="utf-8"))

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        weights = dict(self.weights or DEFAULT_WEIGHTS)
        criteria = list(weights)
        template = self._template()
        used: list[ModelClient] = []

        def block(name: str, **context: Any) -> str:
            rendered = template.blocks[name](template.new_context(
                {"criteria": criteria, "justification_chars": self.justification_chars,
                 **context}))
            return "".join(rendered).strip()

        system = block("system")

        def judge_all(client: ModelClient, structured: bool) -> list[Any]:
            used.append(client)
            return [self._judge(client, system, block, prediction, reference, criteria,
                                structured=structured)
                    for prediction, reference in zip(predictions, references, strict=True)]

        outcomes = self._run(judge_all)
        client = used[0]
        total = sum(weights.values())
        per_sample: dict[str, list[float]] = {"score": []}
        per_sample.update({name: [] for name in criteria})
        texts: dict[str, list[str]] = {f"{name}_justification": [] for name in criteria}
        failures = [outcome for outcome in outcomes if isinstance(outcome, str)]
        for outcome in outcomes:
            if isinstance(outcome, str):
                per_sample["score"].append(math.nan)
                for name in criteria:
                    per_sample[name].append(math.nan)
                    texts[f"{name}_justification"].append(outcome)
                continue
            per_sample["score"].append(sum(
                weights[name] * (outcome.scores[name] - 1) / 4 for name in criteria) / total)
            for name in criteria:
                per_sample[name].append(float(outcome.scores[name]))
                texts[f"{name}_justification"].append(outcome.justifications[name])
        usage = client.usage
        notes = [f"judge {client.model}: {usage.requests} request(s), {usage.cache_hits} "
                 f"cached, {usage.prompt_tokens} prompt + {usage.completion_tokens} completion "
                 "tokens" + (f", ${usage.cost:.4f}" if usage.cost_known and usage.requests
                             else "")]
        if failures:
            notes.append(f"{len(failures)} pair(s) not judged (first: {failures[0]})")
        return mean_result(self.name, per_sample, primary="score", notes=notes, texts=texts)

    async def _judge(self, client: ModelClient, system: str, block: Any, prediction: str,
                     reference: str, criteria: list[str], *, structured: bool,
                     ) -> Judgement | str:
        from radprompt.errors import RadpromptError

        messages = [{"role": "system", "content": system},
                    {"role": "user", "content": block("user", reference=reference,
                                                      generated=prediction)}]
        try:
            outcome = await ask_structured(
                client, messages, _Rubric(tuple(criteria), self.justification_chars),
                retries=self.parse_retries,
                reask=lambda problem: {"role": "user", "content": block("retry", problem=problem)},
                store="always", structured=structured,
                schema_name="judgement")
        except RadpromptError as exc:  # a stop of the whole run: every pair says why
            return f"request failed: {exc}"
        if isinstance(outcome, Answered):
            judgement: Judgement = outcome.value
            return judgement
        return outcome.reason
