"""The error analysis that drives proposals (scoring itself: ``radprompt.runs.scoring``).

Each false positive and false negative is recorded with the sentence that caused it and a
cause: a missed synonym, negation scope, uncertainty, confusion with another label, or (per
label) too little support to judge.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from radprompt.findings import Findings, State
from radprompt.labelset import LabelSet
from radprompt.reports import Dataset
from radprompt.runs.scoring import ExtractionScore
from radprompt.scoring import Verdict

__all__ = ["Cause", "ErrorExample", "LabelErrors", "analyse_errors"]


class Cause:
    MISSED_SYNONYM = "missed synonym"
    NEGATION_SCOPE = "negation scope"
    UNCERTAINTY = "uncertainty"
    CONFUSION = "confusion with another label"
    LOW_SUPPORT = "too little support"


@dataclass(frozen=True)
class ErrorExample:
    report_id: str
    label_id: str
    error: str  # "FP" or "FN"
    reference: State
    predicted: State
    sentence: str
    cause: str
    other_label: str | None = None


@dataclass
class LabelErrors:
    label_id: str
    f1: float
    support: int
    examples: list[ErrorExample] = field(default_factory=list)
    low_support: bool = False

    @property
    def causes(self) -> Counter[str]:
        return Counter(example.cause for example in self.examples)


def analyse_errors(
    evaluation: ExtractionScore,
    dataset: Dataset,
    *,
    labelset: LabelSet,
    labels: list[str] | None = None,
) -> dict[str, LabelErrors]:
    """Group the errors of each (failing, or given) label by cause."""
    texts = {report.id: report.text for report in dataset.reports}
    wanted = labels if labels is not None else [
        s.label_id for s in evaluation.report.labels if s.verdict is Verdict.FAIL]
    empty = Findings(report_id="")
    result: dict[str, LabelErrors] = {}
    for label_id in wanted:
        label = labelset.get(label_id)
        label_score = evaluation.report.label(label_id)
        errors = LabelErrors(label_id=label_id, f1=label_score.f1, support=label_score.support,
                             low_support=label_score.support < labelset.min_support)
        policy = dataset.policy(label)
        for report_id, reference in dataset.references.items():
            predicted = evaluation.predictions.get(report_id, empty)
            gold = reference.is_positive(label_id, policy)
            guess = predicted.is_positive(label_id, policy)
            if gold == guess:
                continue
            ref_state, pred_state = reference.state(label_id), predicted.state(label_id)
            evidence = predicted.finding(label_id).evidence
            sentence = evidence.text if evidence else ""
            other = None
            if guess:
                if ref_state is State.ABSENT:
                    cause = (Cause.UNCERTAINTY if pred_state is State.UNCERTAIN
                             else Cause.NEGATION_SCOPE)
                else:
                    cause = Cause.CONFUSION
                    other = _other_positive(reference, predicted, label_id, labelset)
            elif pred_state is State.NOT_MENTIONED:
                cause = Cause.MISSED_SYNONYM
            elif pred_state is State.ABSENT:
                cause = Cause.UNCERTAINTY if ref_state is State.UNCERTAIN else Cause.NEGATION_SCOPE
            else:
                cause = Cause.UNCERTAINTY
            if not sentence and report_id in texts:
                sentence = texts[report_id]
            errors.examples.append(ErrorExample(
                report_id=report_id, label_id=label_id, error="FP" if guess else "FN",
                reference=ref_state, predicted=pred_state, sentence=sentence, cause=cause,
                other_label=other,
            ))
        result[label_id] = errors
    return result


def _other_positive(
    reference: Findings, predicted: Findings, label_id: str, labelset: LabelSet
) -> str | None:
    """A label the reference has positive whose evidence sentence this false positive shares."""
    evidence = predicted.finding(label_id).evidence
    for label in labelset.labels:
        if label.id == label_id or label.derived:
            continue
        other = predicted.finding(label.id).evidence
        if (reference.is_positive(label.id, label.uncertainty_policy) and other is not None
                and evidence is not None and other.start == evidence.start):
            return label.id
    return None
