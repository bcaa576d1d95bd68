"""Per-label confusion counts, P / R / F1 / specificity, macro- and micro-F1, threshold checks.

Macro-F1 is Ran Score's: the plain mean of per-label F1 with ``zero_division=0`` (a label with no
positives on either side scores 0). The 4-state view is CheXpert's: per label, the F1 of finding
a mention (any state but not-mentioned), of negation and of uncertainty.

Example::

    >>> from radprompt.findings import Finding, Findings, State
    >>> from radprompt.labelset import load_labelset
    >>> ls = load_labelset("chestxray21")
    >>> pred = {"r1": Findings("r1", {"edema": Finding(State.PRESENT)})}
    >>> ref = {"r1": Findings("r1", {"edema": Finding(State.PRESENT)})}
    >>> score(predictions=pred, references=ref, labelset=ls).label("edema").f1
    1.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from radprompt.findings import Findings, State
from radprompt.labelset import LabelSet, UncertaintyPolicy

__all__ = ["LabelScore", "ScoreReport", "StateScores", "Verdict", "f1_score", "score"]


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INSUFFICIENT_SUPPORT = "insufficient support"


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def f1_score(tp: int, fp: int, fn: int) -> float:
    """F1 from counts, 0 when there is nothing to score (``zero_division=0``)."""
    return _ratio(2 * tp, 2 * tp + fp + fn)


@dataclass(frozen=True)
class StateScores:
    """CheXpert's 4-state view of one label: mention, negation and uncertainty F1."""

    mention_f1: float
    negation_f1: float
    uncertainty_f1: float


@dataclass(frozen=True)
class LabelScore:
    label_id: str
    name: str
    tp: int
    fp: int
    fn: int
    tn: int
    threshold: float
    verdict: Verdict
    states: StateScores | None = None

    @property
    def support(self) -> int:
        """Reference positives."""
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def specificity(self) -> float:
        return _ratio(self.tn, self.tn + self.fp)

    @property
    def f1(self) -> float:
        return f1_score(self.tp, self.fp, self.fn)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["verdict"] = self.verdict.value
        for metric in ("support", "precision", "recall", "specificity", "f1"):
            data[metric] = getattr(self, metric)
        return data


@dataclass(frozen=True)
class ScoreReport:
    """Scores of one set of predictions against references."""

    labels: tuple[LabelScore, ...]
    n_reports: int
    missing_predictions: tuple[str, ...] = ()
    unscored_labels: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def macro_f1(self) -> float:
        return _ratio(sum(s.f1 for s in self.labels), len(self.labels))

    @property
    def macro_f1_supported(self) -> float:
        """Mean F1 over the labels with at least one reference positive (a label with none
        has F1 0 by ``zero_division=0`` whatever the extractor does)."""
        supported = [s.f1 for s in self.labels if s.support > 0]
        return _ratio(sum(supported), len(supported))

    @property
    def labels_with_support(self) -> int:
        return sum(s.support > 0 for s in self.labels)

    @property
    def micro_f1(self) -> float:
        return f1_score(
            sum(s.tp for s in self.labels),
            sum(s.fp for s in self.labels),
            sum(s.fn for s in self.labels),
        )

    @property
    def all_pass(self) -> bool:
        """Every label with enough support clears its threshold."""
        return all(s.verdict is not Verdict.FAIL for s in self.labels)

    def label(self, label_id: str) -> LabelScore:
        for label_score in self.labels:
            if label_score.label_id == label_id:
                return label_score
        raise KeyError(label_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "n_reports": self.n_reports,
            "macro_f1": self.macro_f1,
            "macro_f1_supported": self.macro_f1_supported,
            "labels_with_support": self.labels_with_support,
            "micro_f1": self.micro_f1,
            "all_pass": self.all_pass,
            "labels": [s.to_json() for s in self.labels],
            "missing_predictions": list(self.missing_predictions),
            "unscored_labels": list(self.unscored_labels),
            "notes": list(self.notes),
        }


def score(
    *,
    predictions: Mapping[str, Findings],
    references: Mapping[str, Findings],
    labelset: LabelSet,
    labels: Sequence[str] | None = None,
    min_support: int | None = None,
    uncertain_as: UncertaintyPolicy | None = None,
) -> ScoreReport:
    """Score ``predictions`` against ``references`` (both keyed by report id).

    Only reports with a reference are scored; a reference without a prediction counts as a
    prediction of "not mentioned" everywhere and is listed in ``missing_predictions``.
    ``labels`` restricts scoring to the labels the reference covers (e.g. after a mapping).
    A label with fewer than ``min_support`` (default: the labelset's) reference positives gets
    the verdict "insufficient support" instead of pass / fail. ``uncertain_as`` overrides every
    label's uncertainty policy (e.g. to compare with a gold standard that counts hedged findings
    as negative).
    """
    wanted = list(labels) if labels is not None else labelset.ids
    unknown = [label_id for label_id in wanted if label_id not in labelset.ids]
    if unknown:
        raise ValueError(f"labels {unknown} are not in labelset {labelset.name!r}")
    threshold_support = labelset.min_support if min_support is None else min_support
    ids = list(references)
    missing = tuple(report_id for report_id in ids if report_id not in predictions)
    binary_only = any(ref.binary_only for ref in references.values())
    scores = []
    for label in labelset.labels:
        if label.id not in wanted:
            continue
        tp, fp, fn, tn = _confusion(label.id, ids, predictions=predictions,
                                    references=references,
                                    policy=uncertain_as or label.uncertainty_policy)
        states = None if binary_only else _state_scores(
            label.id, ids, predictions=predictions, references=references)
        if tp + fn < threshold_support:
            verdict = Verdict.INSUFFICIENT_SUPPORT
        else:
            verdict = Verdict.PASS if f1_score(tp, fp, fn) >= label.threshold else Verdict.FAIL
        scores.append(LabelScore(
            label_id=label.id, name=label.name, tp=tp, fp=fp, fn=fn, tn=tn,
            threshold=label.threshold, verdict=verdict, states=states,
        ))
    notes = []
    if binary_only:
        notes.append("references are binary (positive / negative); the 4-state view is skipped")
    if uncertain_as is not None:
        notes.append(f"uncertain findings counted as {uncertain_as.value} for every label")
    return ScoreReport(
        labels=tuple(scores),
        n_reports=len(ids),
        missing_predictions=missing,
        unscored_labels=tuple(i for i in labelset.ids if i not in wanted),
        notes=tuple(notes),
    )


def _confusion(label_id: str, ids: Sequence[str], *, predictions: Mapping[str, Findings],
               references: Mapping[str, Findings],
               policy: UncertaintyPolicy) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) of one label in the binary view; a missing prediction is "not
    mentioned" everywhere."""
    empty = Findings(report_id="")
    tp = fp = fn = tn = 0
    for report_id in ids:
        gold = references[report_id].is_positive(label_id, policy)
        guess = predictions.get(report_id, empty).is_positive(label_id, policy)
        if gold and guess:
            tp += 1
        elif guess:
            fp += 1
        elif gold:
            fn += 1
        else:
            tn += 1
    return tp, fp, fn, tn


def _state_scores(
    label_id: str,
    ids: Sequence[str],
    *,
    predictions: Mapping[str, Findings],
    references: Mapping[str, Findings],
) -> StateScores:
    empty = Findings(report_id="")

    def class_f1(match: frozenset[State]) -> float:
        tp = fp = fn = 0
        for report_id in ids:
            gold = references[report_id].state(label_id) in match
            guess = predictions.get(report_id, empty).state(label_id) in match
            tp += gold and guess
            fp += guess and not gold
            fn += gold and not guess
        return f1_score(tp, fp, fn)

    return StateScores(
        mention_f1=class_f1(frozenset({State.PRESENT, State.ABSENT, State.UNCERTAIN})),
        negation_f1=class_f1(frozenset({State.ABSENT})),
        uncertainty_f1=class_f1(frozenset({State.UNCERTAIN})),
    )
