"""RadJudge ranking tests: does a metric order candidate reports the way radiologists expect?

The RadJudge file (rajpurkarlab/CRIMSON, MIT) holds ``RANKING_TESTS``: categories of tests,
each with a ground-truth report, two or three candidates (a text and, for some, the patient
context) and the expected ranking: ``"C1 > C2"``, ``"C1 = C2"``, or a list of such relations
that must all hold. ``read_radjudge`` reads it. ``check_rankings`` scores every candidate
against its ground truth with one metric object (all candidates in one ``compute`` call) and
lists the tests whose relations the per-sample score does not reproduce; ``rank_agreement``
does it for metrics named in the registry and tabulates the counts. "=" holds when two scores
differ by at most ``tolerance``; ">" when the first exceeds the second by more (the reverse
for a metric whose lower scores are better). Metrics that read patient context
(``Metric.reads_context``: ClinScore, the composite) get each candidate's context (age, sex,
indication); the others see the report texts only.

A descriptive metric (``higher_is_better`` None, e.g. readability) says nothing about which
report is better, so it neither reproduces nor fails a ranking: ``check_rankings`` refuses it
with ``UnrankedMetricError``, and ``rank_agreement`` leaves it out of the table and names it
in ``RankingAgreement.unranked``.

Example::

    >>> from radprompt.radjudge import Candidate, RankingTest, Relation, check_rankings
    >>> from radprompt.metrics import build_metric
    >>> test = RankingTest(id="x", category="demo (synthetic)", ground_truth="Left effusion.",
    ...                    candidates={"C1": Candidate("Left effusion."),
    ...                                "C2": Candidate("No effusion.")},
    ...                    expected=(Relation("C1", ">", "C2"),))
    >>> check_rankings([test], metric=build_metric("ranscore")).reproduced
    1
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.errors import InputError, RadpromptError
from radprompt.resources import shared_data_dir

if TYPE_CHECKING:
    import pandas as pd

    from radprompt.extractors.base import Extractor
    from radprompt.labelset import LabelSet
    from radprompt.metrics.base import Metric

__all__ = [
    "DEFAULT_TOLERANCE",
    "Candidate",
    "RadJudgeResult",
    "RankingAgreement",
    "RankingTest",
    "Relation",
    "UnrankedMetricError",
    "check_rankings",
    "default_radjudge_path",
    "rank_agreement",
    "read_radjudge",
]

DEFAULT_TOLERANCE = 1e-6
""""=" means equal up to rounding."""

RADJUDGE_FILE = Path("radjudge") / "radjudge_test_cases.json"
_RELATION = re.compile(r"^\s*(\w+)\s*([>=<])\s*(\w+)\s*$")


@dataclass(frozen=True)
class Candidate:
    text: str
    context: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Relation:
    """``first op second`` with op ``>`` (first should score higher) or ``=`` (equal)."""

    first: str
    op: str
    second: str

    def __str__(self) -> str:
        return f"{self.first} {self.op} {self.second}"

    def holds(self, scores: Mapping[str, float], *, tolerance: float,
              higher_is_better: bool = True) -> bool:
        a, b = scores[self.first], scores[self.second]
        if a != a or b != b:  # NaN: the metric could not score a candidate
            return False
        if self.op == "=":
            return abs(a - b) <= tolerance
        return (a - b if higher_is_better else b - a) > tolerance


@dataclass(frozen=True)
class RankingTest:
    id: str
    category: str
    ground_truth: str
    candidates: Mapping[str, Candidate]
    expected: tuple[Relation, ...]

    @property
    def expected_text(self) -> str:
        return "; ".join(str(relation) for relation in self.expected)


def default_radjudge_path() -> Path | None:
    """``<shared data>/radjudge/radjudge_test_cases.json`` if the shared data folder has it."""
    folder = shared_data_dir()
    path = folder / RADJUDGE_FILE if folder else None
    return path if path is not None and path.is_file() else None


def _relations(path: Path, test_id: str, expected: Any, names: Sequence[str]) -> tuple[
        Relation, ...]:
    items = expected if isinstance(expected, list) else [expected]
    relations = []
    for item in items:
        match = _RELATION.match(str(item))
        if match is None:
            raise InputError(path, f"expected ranking {item!r} is not 'C1 > C2' or 'C1 = C2'",
                             where=f"test {test_id}")
        first, op, second = match.groups()
        if op == "<":
            first, op, second = second, ">", first
        for name in (first, second):
            if name not in names:
                raise InputError(path, f"expected ranking names {name!r}, which is not one of "
                                 f"its candidates {list(names)}", where=f"test {test_id}")
        relations.append(Relation(first, op, second))
    return tuple(relations)


def read_radjudge(path: str | Path | None = None) -> list[RankingTest]:
    """Read the RadJudge ranking tests (default: the copy in the shared data folder)."""
    if path is None:
        path = default_radjudge_path()
        if path is None:
            raise InputError(RADJUDGE_FILE, "no RadJudge file in the shared data folder; "
                             "give its path")
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(path, f"not valid JSON: {exc.msg}", where=f"line {exc.lineno}") from exc
    categories = data.get("RANKING_TESTS") if isinstance(data, dict) else None
    if not isinstance(categories, list):
        raise InputError(path, "expected an object with a 'RANKING_TESTS' list")
    tests = []
    for category in categories:
        for raw in category.get("tests", []):
            test_id = str(raw.get("id", "?"))
            try:
                candidates = {
                    name: Candidate(text=str(value["text"]),
                                    context={k: str(v) for k, v in
                                             dict(value.get("context") or {}).items()})
                    for name, value in dict(raw["candidates"]).items()
                }
                ground_truth = str(raw["ground_truth"])
                expected = raw["expected_ranking"]
            except (KeyError, TypeError) as exc:
                raise InputError(path, f"malformed test: missing {exc}",
                                 where=f"test {test_id}") from exc
            tests.append(RankingTest(
                id=test_id,
                category=str(category.get("category", "")),
                ground_truth=ground_truth,
                candidates=candidates,
                expected=_relations(path, test_id, expected, list(candidates)),
            ))
    return tests


class UnrankedMetricError(RadpromptError, ValueError):
    """A descriptive metric (``higher_is_better`` None) cannot rank candidate reports."""


@dataclass
class RadJudgeResult:
    """One metric on the ranking tests: per test the candidates' scores, and the relations
    that did not hold (``failures``, by test id)."""

    metric: str
    scores: dict[str, dict[str, float]]
    failures: dict[str, list[str]]
    tests: list[RankingTest]
    tolerance: float

    @property
    def reproduced(self) -> int:
        return len(self.tests) - len(self.failures)

    def to_json(self) -> dict[str, Any]:
        by_id = {test.id: test for test in self.tests}
        return {"metric": self.metric, "reproduced": self.reproduced, "tests": len(self.tests),
                "tolerance": self.tolerance,
                "failed": {test_id: {"category": by_id[test_id].category,
                                     "expected": by_id[test_id].expected_text,
                                     "not_held": wrong, "scores": self.scores[test_id]}
                           for test_id, wrong in self.failures.items()}}


def _unranked(name: str) -> UnrankedMetricError:
    return UnrankedMetricError(f"metric {name} is descriptive (higher_is_better is None): it "
                               "does not say which report is better, so it cannot reproduce "
                               "or fail a ranking")


def check_rankings(
    tests: Sequence[RankingTest],
    *,
    metric: Metric,
    name: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RadJudgeResult:
    """Score every candidate of every test in one ``compute`` and check the relations.

    Raises ``UnrankedMetricError`` for a descriptive metric (``higher_is_better`` None).
    """
    name = name or metric.name
    if metric.higher_is_better is None:
        raise _unranked(name)
    slots = [(test, candidate) for test in tests for candidate in test.candidates]
    kwargs: dict[str, Any] = {}
    if metric.reads_context:
        kwargs["contexts"] = [dict(test.candidates[c].context) for test, c in slots]
    result = metric.compute(predictions=[test.candidates[c].text for test, c in slots],
                            references=[test.ground_truth for test, _ in slots], **kwargs)
    if result.higher_is_better is None:
        raise _unranked(name)
    scores: dict[str, dict[str, float]] = {}
    for (test, candidate), value in zip(slots, result.sample_scores, strict=True):
        scores.setdefault(test.id, {})[candidate] = float(value)
    failures = {}
    for test in tests:
        wrong = [str(relation) for relation in test.expected
                 if not relation.holds(scores[test.id], tolerance=tolerance,
                                       higher_is_better=result.higher_is_better)]
        if wrong:
            failures[test.id] = wrong
    return RadJudgeResult(metric=name, scores=scores, failures=failures, tests=list(tests),
                          tolerance=tolerance)


@dataclass
class RankingAgreement:
    """Per (metric, test): the candidates' scores and whether the expected ranking held."""

    details: pd.DataFrame
    tolerance: float
    unranked: tuple[str, ...] = ()
    """Descriptive metrics asked for and left out (they rank nothing)."""

    @property
    def summary(self) -> pd.DataFrame:
        """Per metric: tests and relations reproduced, out of how many."""
        table = self.details.groupby("metric", sort=False).agg(
            tests_reproduced=("reproduced", "sum"), tests=("reproduced", "size"),
            relations_reproduced=("relations_held", "sum"), relations=("relations", "sum"),
        )
        return table.astype(int)

    @property
    def by_category(self) -> pd.DataFrame:
        """Tests reproduced per metric (rows) and category (columns)."""
        return self.details.pivot_table(index="metric", columns="category",
                                        values="reproduced", aggfunc="sum", sort=False)


def _rows(result: RadJudgeResult) -> list[dict[str, Any]]:
    rows = []
    for test in result.tests:
        held = len(test.expected) - len(result.failures.get(test.id, []))
        rows.append({
            "metric": result.metric, "test": test.id, "category": test.category,
            "expected": test.expected_text,
            "scores": ", ".join(f"{name}={value:.4f}"
                                for name, value in result.scores[test.id].items()),
            "relations": len(test.expected), "relations_held": held,
            "reproduced": test.id not in result.failures,
        })
    return rows


def rank_agreement(
    tests: Sequence[RankingTest],
    *,
    metrics: Sequence[str],
    labelset: LabelSet | str | Path = "chestxray21",
    extractor: Extractor | str | Path = "rules",
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RankingAgreement:
    """``check_rankings`` for each metric named in the registry (one extractor shared by
    those that need one); descriptive metrics are listed in ``unranked``."""
    # pandas and the metric registry (which imports every metric module) are heavy: loaded
    # only here, where they are used
    import pandas as pd

    from radprompt.metrics import build_metric
    from radprompt.metrics import metric_options as options_of
    from radprompt.metrics._findings import (
        CachingExtractor,
        resolve_extractor,
        resolve_labelset,
    )

    labels = resolve_labelset(labelset)
    shared: dict[str, Any] = {"labelset": labels}
    if any("extractor" in options_of(name) for name in metrics):
        shared["extractor"] = CachingExtractor(resolve_extractor(extractor, labelset=labels))
    rows: list[dict[str, Any]] = []
    unranked: list[str] = []
    for metric_name in metrics:
        metric = build_metric(metric_name, shared=shared,
                              **dict((metric_options or {}).get(metric_name, {})))
        try:
            result = check_rankings(tests, metric=metric, name=metric_name, tolerance=tolerance)
        except UnrankedMetricError:
            unranked.append(metric_name)
            continue
        rows += _rows(result)
    return RankingAgreement(details=pd.DataFrame(rows), tolerance=tolerance,
                            unranked=tuple(unranked))
