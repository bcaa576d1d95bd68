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

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, RowError
from radprompt.extractors.base import ExtractionFailure, Extractor, ProgressCallback
from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import Findings
from radprompt.labelset import LabelSet, UncertaintyPolicy, read_yaml
from radprompt.reports import Dataset, Report, read_dataset
from radprompt.resources import find_resource
from radprompt.scoring import ScoreReport, score

__all__ = [
    "EXTRACTOR_KINDS",
    "BenchResult",
    "ExtractionRun",
    "bench_rules",
    "build_extractor",
    "extract_dataset",
    "score_files",
]

ExtractorFactory = Callable[..., Extractor]


def _rules_factory(*, labelset: LabelSet, recipe: dict[str, Any]) -> Extractor:
    unknown = set(recipe) - {"kind", "description"}
    if unknown:
        raise ValueError(f"unknown key(s) {sorted(unknown)} in a rules recipe")
    return RulesExtractor(labelset=labelset)


EXTRACTOR_KINDS: dict[str, ExtractorFactory] = {"rules": _rules_factory}
"""Extractor kinds by the ``kind`` key of a recipe in ``extractors/*.yaml``."""


def build_extractor(name_or_path: str | Path, *, labelset: LabelSet) -> Extractor:
    """Build the extractor a recipe describes (``rules`` = ``extractors/rules.yaml``)."""
    path = find_resource("extractors", name_or_path, suffix=".yaml")
    recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "kind" not in recipe:
        raise InputError(path, "an extractor recipe is a mapping with a 'kind' key")
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
    findings: list[Findings] = field(default_factory=list)
    failures: list[ExtractionFailure] = field(default_factory=list)
    problems: list[RowError] = field(default_factory=list)


def extract_dataset(
    dataset: Dataset,
    *,
    extractor: Extractor,
    progress: ProgressCallback | None = None,
) -> ExtractionRun:
    """Extract findings for every usable report; carry the dataset's row problems along."""
    run = ExtractionRun(problems=list(dataset.problems))
    for result in extractor.extract(dataset.reports, progress=progress):
        if isinstance(result, ExtractionFailure):
            run.failures.append(result)
        else:
            run.findings.append(result)
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
    report = score(
        predictions=predicted.references,
        references=reference.references,
        labelset=labelset,
        labels=reference.covered_labels,
        uncertain_as=uncertain_as,
    )
    return ScoredFiles(report=report, problems=[*predicted.problems, *reference.problems])


@dataclass(frozen=True)
class BenchResult:
    reports: int
    seconds: float
    source: str

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else float("inf")


def bench_rules(
    reports: list[Report], *, labelset: LabelSet, repeat: int = 3, source: str = ""
) -> BenchResult:
    """Time the rule engine over ``reports`` (best of ``repeat`` passes, one core)."""
    extractor = RulesExtractor(labelset=labelset)
    extractor.extract(reports[:50])  # warm up regex caches
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        extractor.extract(reports)
        best = min(best, time.perf_counter() - started)
    return BenchResult(reports=len(reports), seconds=best, source=source)
