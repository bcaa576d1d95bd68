"""Library calls behind the CLI verbs ``extract``, ``score`` and ``bench rules``.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.pipeline import build_extractor, extract_dataset
    >>> from radprompt.reports import read_dataset
    >>> ls = load_labelset("chestxray21")
    >>> data = read_dataset("experiments/demo/dev.jsonl", labelset=ls)
    >>> run = extract_dataset(data, extractor=build_extractor("rules", labelset=ls))
    >>> len(run.findings) == len(data.reports)
    True
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.engines import Engine, InProcessEngine
from radprompt.errors import InputError, RowError
from radprompt.extractors.base import (
    ExtractionFailure,
    ExtractionResult,
    Extractor,
    ProgressCallback,
)
from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import Findings
from radprompt.journal import FindingsJournal
from radprompt.labelset import LabelSet, UncertaintyPolicy, read_yaml
from radprompt.reports import Dataset, Report, read_dataset
from radprompt.resources import find_resource
from radprompt.scoring import ScoreReport, score

if TYPE_CHECKING:
    from radprompt.llm import Usage

__all__ = [
    "EXTRACTOR_KINDS",
    "BenchResult",
    "ExtractionRun",
    "bench_rules",
    "build_extractor",
    "extract_dataset",
    "extractor_fingerprint",
    "score_files",
]

ExtractorFactory = Callable[..., Extractor]


def _rules_factory(*, labelset: LabelSet, recipe: dict[str, Any]) -> Extractor:
    unknown = set(recipe) - {"kind", "description"}
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} in a rules recipe")
    return RulesExtractor(labelset=labelset)


def _llm_factory(*, labelset: LabelSet, recipe: dict[str, Any]) -> Extractor:
    from pydantic import ValidationError

    from radprompt.extractors.llm import LLMExtractor
    from radprompt.llm import LLMRecipe, check_destination

    try:
        parsed = LLMRecipe.model_validate(recipe)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown key"
        raise ValueError(f"{where}: {problem}" if where else problem) from exc
    check_destination(model=parsed.model, api_base=parsed.api_base,
                      backend=parsed.resolved_backend, allow_remote=parsed.allow_remote)
    return LLMExtractor(labelset=labelset, recipe=parsed)


EXTRACTOR_KINDS: dict[str, ExtractorFactory] = {"rules": _rules_factory, "llm": _llm_factory}
"""Extractor kinds by the ``kind`` key of a recipe in ``extractors/*.yaml``."""


def build_extractor(
    name_or_path: str | Path | None,
    *,
    labelset: LabelSet,
    overrides: Mapping[str, Any] | None = None,
) -> Extractor:
    """Build the extractor a recipe describes (``rules`` = ``extractors/rules.yaml``).

    ``overrides`` replace recipe keys (``None`` values are ignored); with no recipe they
    describe an LLM extractor on their own (``{"model": "hosted_vllm/...", "api_base": ...}``).
    """
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    if name_or_path is None:
        path = Path("<command line>")
        recipe: Any = {"kind": "llm"}
    else:
        path = find_resource("extractors", name_or_path, suffix=".yaml")
        recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "kind" not in recipe:
        raise InputError(path, "an extractor recipe is a mapping with a 'kind' key")
    recipe = {**recipe, **given}
    kind = recipe["kind"]
    factory = EXTRACTOR_KINDS.get(kind)
    if factory is None:
        raise InputError(
            path, f"unknown extractor kind {kind!r}; known: {', '.join(EXTRACTOR_KINDS)}",
            where="kind",
        )
    try:
        return factory(labelset=labelset, recipe=recipe)
    except ValueError as exc:
        raise InputError(path, str(exc)) from exc


@dataclass
class ExtractionRun:
    """Findings and failures in input order; ``resumed`` reports came from the journal;
    ``usage`` holds an LLM extractor's requests, tokens and cost."""

    findings: list[Findings] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)
    resumed: int = 0
    usage: Usage | None = None


def extractor_fingerprint(extractor: Extractor, *, labelset: LabelSet) -> str:
    """What decides an extractor's output: for an LLM extractor, the prompt version's hash,
    the model and its decoding parameters; otherwise its class and the labelset's content (an
    optimized labelset keeps its name and version but not its phrases)."""
    from radprompt.extractors.llm import LLMExtractor

    if isinstance(extractor, LLMExtractor):
        recipe = extractor.recipe
        return (f"llm {extractor.prompt_version().hash[:16]} {recipe.model} "
                f"{sorted(recipe.decoding_params().items())} "
                f"structured={recipe.uses_structured_output}")
    # Guard examples test a labelset; they do not change what it extracts.
    text = labelset.model_dump_json(exclude={"labels": {"__all__": {"examples"}}})
    content = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{type(extractor).__name__} {labelset.name}@{labelset.version} {content}"


def extract_dataset(
    dataset: Dataset,
    *,
    extractor: Extractor,
    progress: ProgressCallback | None = None,
    journal: FindingsJournal | None = None,
    engine: Engine | None = None,
) -> ExtractionRun:
    """Extract findings for every usable report; carry the dataset's row problems along.

    With a ``journal``, reports it already holds are not extracted again, and each finished
    report is appended to it at once, so a killed run continues where it stopped. ``engine``
    says where extraction runs (default: this process; see ``radprompt.engines``).
    """
    run = ExtractionRun(problems=list(dataset.problems))
    texts = {report.id: report.text for report in dataset.reports}
    # Only findings extracted from the very same report text are reused.
    done = journal.done(texts=texts) if journal else {}
    run.resumed = len(done)
    if done and progress is not None:
        progress(len(done))
    todo = [report for report in dataset.reports if report.id not in done]
    new: dict[str, ExtractionResult] = {}

    def keep(result: ExtractionResult) -> None:
        new[result.report_id] = result
        if journal is not None:
            journal.record(result, text=texts.get(result.report_id))

    with journal if journal is not None else nullcontext():
        (engine or InProcessEngine()).run(todo, extractor=extractor, on_result=keep,
                                          progress=progress)
    for report in dataset.reports:
        result = done.get(report.id) or new.get(report.id)
        if isinstance(result, ExtractionFailure):
            run.failures.append(result)
        elif result is not None:
            run.findings.append(result)
    run.usage = getattr(extractor, "usage_", None)
    run.resumed += getattr(engine, "resumed_", 0)
    return run


@dataclass
class ScoredFiles:
    report: ScoreReport
    problems: list[RowError]


def score_files(
    *,
    predictions: str | Path,
    references: str | Path,
    labelset: LabelSet,
    reference_format: str = "auto",
    uncertain_as: UncertaintyPolicy | None = None,
) -> ScoredFiles:
    """Score a predictions file against a reference file (any format ``read_dataset`` reads)."""
    predicted = read_dataset(predictions, labelset=labelset, require_text=False)
    reference = read_dataset(
        references, labelset=labelset, format=reference_format, require_text=False
    )
    if not reference.has_labels:
        raise InputError(references, "the reference file has no label columns")
    if not predicted.has_labels:
        raise InputError(predictions, "the predictions file has no findings")
    problems = [*predicted.problems, *reference.problems, *_unmatched(predicted, reference)]
    report = score(
        predictions=predicted.references,
        references=reference.references,
        labelset=labelset,
        labels=reference.covered_labels,
        uncertain_as=uncertain_as,
    )
    return ScoredFiles(report=report, problems=problems)


def _unmatched(predicted: Dataset, reference: Dataset) -> list[RowError]:
    """Prediction ids without a reference (listed, never dropped silently); no id in common,
    or references that are all blank, leave nothing to score."""
    common = set(predicted.references) & set(reference.references)
    if not common:
        example = next(iter(predicted.references)), next(iter(reference.references))
        raise InputError(predicted.path, f"no report id in common with {reference.path} (e.g. "
                         f"prediction {example[0]!r}, reference {example[1]!r}); nothing to score")
    if not any(findings.states for findings in reference.references.values()):
        raise InputError(reference.path, "every reference label is blank (not mentioned); "
                         "there is nothing to score against")
    return [RowError(predicted.path, number, "no reference report with this id (left out of "
                     "the scores)", report_id=report_id)
            for number, report_id in enumerate(predicted.references, 1)
            if report_id not in reference.references]


@dataclass(frozen=True)
class BenchResult:
    reports: int
    seconds: float
    source: str
    cpu_seconds: float = 0.0
    """CPU time of the same pass (this process); steadier than wall time on a shared machine."""

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else float("inf")

    @property
    def reports_per_cpu_second(self) -> float:
        return self.reports / self.cpu_seconds if self.cpu_seconds else float("inf")


def bench_rules(
    reports: list[Report], *, labelset: LabelSet, repeat: int = 3, source: str = ""
) -> BenchResult:
    """Time the rule engine over ``reports`` (best of ``repeat`` passes, one core), in wall
    and CPU seconds."""
    extractor = RulesExtractor(labelset=labelset)
    extractor.extract(reports[:50])  # warm up regex caches
    best, best_cpu = float("inf"), float("inf")
    for _ in range(max(1, repeat)):
        started, started_cpu = time.perf_counter(), time.process_time()
        extractor.extract(reports)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    return BenchResult(reports=len(reports), seconds=best, source=source, cpu_seconds=best_cpu)
