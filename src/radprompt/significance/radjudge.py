"""RadJudge rankings for metric instances (the trained metric, the LLM judges, any ``Metric``).

``radprompt.radjudge`` reads the cases and counts agreement for metrics named in the metrics
registry; this does the same for metric objects, such as a trained significance model loaded
from a file. A case is reproduced when every expected relation holds on the metric's
per-sample primary score ("=" within ``tolerance``, ">" by more than it). A metric that reads
patient context (``reads_context``) gets each candidate's; the others read the texts only, and
cases that hinge on patient context cannot be reproduced by them.

Example::

    >>> from radprompt.metrics import build_metric
    >>> from radprompt.radjudge import Candidate, Relation, RankingTest
    >>> test = RankingTest(id="x", category="demo", ground_truth="Left effusion.",
    ...                    candidates={"C1": Candidate("Left effusion."),
    ...                                "C2": Candidate("No effusion.")},
    ...                    expected=(Relation("C1", ">", "C2"),))
    >>> check_rankings([test], metric=build_metric("ranscore")).reproduced
    1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from radprompt.metrics.base import Metric
from radprompt.radjudge import RankingTest

__all__ = ["DEFAULT_TOLERANCE", "RadJudgeResult", "check_rankings"]

DEFAULT_TOLERANCE = 1e-6
"""As ``radprompt.radjudge.rank_agreement``: "=" means equal up to rounding."""


@dataclass
class RadJudgeResult:
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


def check_rankings(
    tests: Sequence[RankingTest],
    *,
    metric: Metric,
    name: str | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RadJudgeResult:
    """Score every candidate of every test in one ``compute`` and check the relations."""
    slots = [(test, candidate) for test in tests for candidate in test.candidates]
    kwargs: dict[str, Any] = {}
    if metric.reads_context:
        kwargs["contexts"] = [dict(test.candidates[c].context) for test, c in slots]
    result = metric.compute(predictions=[test.candidates[c].text for test, c in slots],
                            references=[test.ground_truth for test, _ in slots], **kwargs)
    higher_is_better = result.higher_is_better is not False
    scores: dict[str, dict[str, float]] = {}
    for (test, candidate), value in zip(slots, result.sample_scores, strict=True):
        scores.setdefault(test.id, {})[candidate] = float(value)
    failures = {}
    for test in tests:
        wrong = [str(relation) for relation in test.expected
                 if not relation.holds(scores[test.id], tolerance=tolerance,
                                       higher_is_better=higher_is_better)]
        if wrong:
            failures[test.id] = wrong
    return RadJudgeResult(metric=name or metric.name, scores=scores, failures=failures,
                          tests=list(tests), tolerance=tolerance)
