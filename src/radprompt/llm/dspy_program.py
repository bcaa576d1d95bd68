"""The extractor as a DSPy program whose prompts still render through radprompt's templates.

``FindingsProgram`` holds one ``dspy.Predict`` per asked label; its signature's instructions
are that label's guidance and its demos are few-shot examples. That is what DSPy optimizers
(MIPROv2, GEPA with per-label feedback, BootstrapFewShot) change. ``forward`` never lets DSPy
lay out the prompt: it builds the current ``PromptVersion`` from the predictors
(``prompt_version()``) and sends the messages our Jinja template renders, through
``JinjaAdapter`` and whatever ``dspy.LM`` is configured. In ``all`` mode a report is still one
request; each label predictor gets its own trace entry, so per-label feedback reaches it.

Importing this module imports DSPy (``pip install 'radprompt[llm]'``); nothing else in
radprompt does.

Example::

    >>> import dspy
    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.prompts import PromptVersion
    >>> program = FindingsProgram(version=PromptVersion.from_labelset(load_labelset("chestxray21")))
    >>> dspy.configure(lm=dspy_lm(LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B",
    ...                                     api_base="http://127.0.0.1:8000/v1")))
    >>> program(report="No pneumothorax.").findings["pneumothorax"]  # doctest: +SKIP
    'absent'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from radprompt.llm.base import MissingExtraError

try:
    import dspy
    from dspy.utils.exceptions import AdapterParseError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtraError(
        "radprompt.llm.dspy_program needs DSPy: pip install 'radprompt[llm]'") from exc

from radprompt.findings import Findings, State
from radprompt.llm.parsing import AnswerError, parse_answer
from radprompt.llm.privacy import check_destination
from radprompt.llm.recipe import LLMRecipe
from radprompt.prompts import Demo, PromptVersion
from radprompt.reports import Dataset

__all__ = ["FindingsProgram", "JinjaAdapter", "dspy_lm", "examples_from_dataset"]


def _signature(instructions: str) -> Any:
    return dspy.Signature(
        {"report": (str, dspy.InputField(desc="the radiology report")),
         "answer": (str, dspy.OutputField(desc="JSON: label id -> {state, evidence}"))},
        instructions,
    )


class JinjaAdapter(dspy.Adapter):
    """Formats with a ``PromptVersion``'s template and parses with radprompt's answer schema.

    One adapter serves one request (it remembers the report to locate evidence quotes).
    """

    def __init__(self, *, version: PromptVersion, label_id: str | None = None) -> None:
        super().__init__()
        self.version = version
        self.label_id = label_id
        self.report = ""

    @property
    def label_ids(self) -> tuple[str, ...]:
        return (self.label_id,) if self.label_id else tuple(self.version.label_ids)

    def format(self, signature: Any, demos: list[dict[str, Any]],
               inputs: dict[str, Any]) -> list[dict[str, Any]]:
        self.report = str(inputs["report"])
        return self.version.render(self.report, label_id=self.label_id)

    def parse(self, signature: Any, completion: str) -> dict[str, Any]:
        try:
            parsed = parse_answer(completion, label_ids=self.label_ids, report_text=self.report)
        except AnswerError as exc:
            raise AdapterParseError(type(self).__name__, signature, completion, str(exc)) from exc
        return {"answer": json.dumps({
            label_id: {"state": finding.state.value,
                       "evidence": finding.evidence.text if finding.evidence else None}
            for label_id, finding in parsed.states.items()
        })}

    def format_field_with_value(self, fields_with_values: Mapping[Any, Any],
                                role: str = "user") -> str:
        """What DummyLM writes as the answer: the ``answer`` value as it is."""
        values = list(fields_with_values.values())
        value = values[0] if len(values) == 1 else dict(zip(
            (field.name for field in fields_with_values), values, strict=True))
        return value if isinstance(value, str) else json.dumps(value)


class FindingsProgram(dspy.Module):
    """Per-label predictors over one ``PromptVersion``; see the module docstring."""

    def __init__(self, *, version: PromptVersion) -> None:
        super().__init__()
        self.version = version
        self.labels = {label_id: dspy.Predict(_signature(version.guidance[label_id]))
                       for label_id in version.label_ids}

    def prompt_version(self) -> PromptVersion:
        """The version the predictors now describe; the starting version if unchanged."""
        guidance = {label_id: predictor.signature.instructions
                    for label_id, predictor in self.labels.items()}
        demos = _demos(predictor.demos for predictor in self.labels.values())
        changed = {k: v for k, v in guidance.items() if v != self.version.guidance[k]}
        version = self.version
        if changed:
            version = version.with_guidance(changed, note="changed by a DSPy optimizer")
        if demos and tuple(demos) != version.demos:
            version = version.with_demos(demos, note="demos chosen by a DSPy optimizer")
        return version

    def forward(self, report: str) -> Any:
        version = self.prompt_version()
        lm = dspy.settings.lm
        if lm is None:
            raise RuntimeError("no language model: dspy.configure(lm=dspy_lm(recipe))")
        answer: dict[str, Any] = {}
        for group in version.requests():
            label_id = group[0] if version.mode == "label" else None
            adapter = JinjaAdapter(version=version, label_id=label_id)
            outputs = adapter(lm, {}, _signature(""), [], {"report": report})
            answer.update(json.loads(outputs[0]["answer"]))
        trace = dspy.settings.trace
        if trace is not None:
            for label_id, predictor in self.labels.items():
                own = json.dumps({label_id: answer[label_id]})
                trace.append((predictor, {"report": report}, dspy.Prediction(answer=own)))
        return dspy.Prediction(
            answer=json.dumps(answer),
            findings={label_id: value["state"] for label_id, value in answer.items()},
            evidence={label_id: value["evidence"] for label_id, value in answer.items()},
        )


def _demos(per_predictor: Iterable[list[Any]]) -> list[Demo]:
    """Demos that carry every label's answer (``findings``), once per report."""
    seen: dict[str, Demo] = {}
    for demos in per_predictor:
        for example in demos:
            findings = example.get("findings") if hasattr(example, "get") else None
            if not isinstance(findings, dict) or example.get("report") in seen:
                continue
            seen[str(example["report"])] = Demo(str(example["report"]), {
                label_id: (value["state"], value.get("evidence")) if isinstance(value, dict)
                else (str(value), None) for label_id, value in findings.items()})
    return list(seen.values())


def examples_from_dataset(dataset: Dataset) -> list[Any]:
    """``dspy.Example(report=..., findings={label: {state, evidence}})`` per labelled report,
    with ``report`` as the input."""
    examples = []
    for report in dataset.reports:
        reference: Findings | None = dataset.references.get(report.id)
        if reference is None:
            continue
        findings = {
            label_id: {"state": finding.state.value,
                       "evidence": finding.evidence.text if finding.evidence else None}
            for label_id, finding in reference.states.items()
            if finding.state is not State.NOT_MENTIONED
        }
        examples.append(dspy.Example(report=report.text, findings=findings,
                                     report_id=report.id).with_inputs("report"))
    return examples


def dspy_lm(recipe: LLMRecipe, **kwargs: Any) -> Any:
    """A ``dspy.LM`` for a recipe's model (LiteLLM model string), after the privacy check.

    DSPy keeps its own answer cache (``~/.dspy_cache``, or ``DSPY_CACHEDIR``) when the recipe's
    ``cache`` is on; radprompt's SQLite cache serves ``LLMExtractor`` runs.
    """
    endpoint = check_destination(model=recipe.model, api_base=recipe.api_base,
                                 backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)
    return dspy.LM(recipe.model, api_base=endpoint.url, temperature=recipe.temperature,
                   max_tokens=recipe.max_tokens, num_retries=recipe.max_attempts - 1,
                   cache=recipe.cache, **kwargs)
