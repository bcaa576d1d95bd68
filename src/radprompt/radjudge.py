"""RadJudge ranking tests: does a metric order candidate reports the way radiologists expect?

The RadJudge file (rajpurkarlab/CRIMSON, MIT) holds ``RANKING_TESTS``: categories of tests,
each with a ground-truth report, two or three candidates (a text and, for some, the patient
context) and the expected ranking: ``"C1 > C2"``, ``"C1 = C2"``, or a list of such relations
that must all hold. ``read_radjudge`` reads it; ``rank_agreement`` scores every candidate
against its ground truth with each metric (all candidates in one ``compute`` call per metric)
and counts the tests whose every relation the metric's per-sample score reproduces. "=" holds
when two scores differ by at most ``tolerance``; ">" when the first exceeds the second by more.
Metrics that read patient context (``Metric.reads_context``: ClinScore, the composite) get
each candidate's context (age, sex, indication); the others see the report texts only.

Example::

    >>> from radprompt.radjudge import rank_agreement, read_radjudge
    >>> tests = read_radjudge()  # ../shared/data/radjudge/radjudge_test_cases.json
    >>> agreement = rank_agreement(tests, metrics=["ranscore", "bleu"])  # doctest: +SKIP
    >>> agreement.summary  # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.errors import InputError
from radprompt.resources import shared_data_dir

if TYPE_CHECKING:
    import pandas as pd

    from radprompt.extractors.base import Extractor
    from radprompt.labelset import LabelSet

__all__ = [
    "Candidate",
    "RankingAgreement",
    "RankingTest",
    "Relation",
    "default_radjudge_path",
    "rank_agreement",
    "read_radjudge",
]

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


@dataclass
class RankingAgreement:
    """Per (metric, test): the candidates' scores and whether the expected ranking held."""

    details: pd.DataFrame
    tolerance: float

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


def rank_agreement(
    tests: Sequence[RankingTest],
    *,
    metrics: Sequence[str],
    labelset: LabelSet | str | Path = "chestxray21",
    extractor: Extractor | str | Path = "rules",
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
    tolerance: float = 1e-6,
) -> RankingAgreement:
    """Score every candidate with every metric and check the expected rankings."""
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
    slots = [(test, name) for test in tests for name in test.candidates]
    predictions = [test.candidates[name].text for test, name in slots]
    references = [test.ground_truth for test, _ in slots]
    contexts = [dict(test.candidates[name].context) for test, name in slots]
    rows = []
    for metric_name in metrics:
        metric = build_metric(metric_name, shared=shared,
                              **dict((metric_options or {}).get(metric_name, {})))
        kwargs: dict[str, Any] = {"contexts": contexts} if metric.reads_context else {}
        result = metric.compute(predictions=predictions, references=references, **kwargs)
        if result.higher_is_better is None:
            continue
        values = result.sample_scores
        scores: dict[str, dict[str, float]] = {}
        for (test, name), value in zip(slots, values, strict=True):
            scores.setdefault(test.id, {})[name] = float(value)
        for test in tests:
            held = [relation.holds(scores[test.id], tolerance=tolerance,
                                   higher_is_better=bool(result.higher_is_better))
                    for relation in test.expected]
            rows.append({
                "metric": metric_name, "test": test.id, "category": test.category,
                "expected": test.expected_text,
                "scores": ", ".join(f"{name}={value:.4f}"
                                    for name, value in scores[test.id].items()),
                "relations": len(held), "relations_held": sum(held), "reproduced": all(held),
            })
    return RankingAgreement(details=pd.DataFrame(rows), tolerance=tolerance)
