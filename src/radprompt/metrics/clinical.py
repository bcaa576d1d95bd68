"""Clinical efficacy: sensitivity, specificity and F1 per label, and their averages.

Findings come from the same extractor on both sides, as for Ran Score. Per label, sensitivity
is tp / (tp + fn), specificity tn / (tn + fp) and F1 2tp / (2tp + fp + fn). Unlike Ran Score's
macro-F1, the averages only take labels where the ratio is defined: sensitivity over labels
with reference positives, specificity over labels with reference negatives, F1 over labels
positive on either side. Per sample the same ratios pool one report's labels (NaN when
undefined; F1 is 1.0 when neither side has a positive finding), and ``agreement`` is the share
of labels on which the two reports agree, negatives included: the per-report score, which
drops with every false or missed finding (where a report's F1 is already 0 after one error).

Example::

    >>> from radprompt.metrics.clinical import Clinical
    >>> result = Clinical(labelset="chestxray21").compute(
    ...     predictions=["Small right pleural effusion."],
    ...     references=["Small right pleural effusion. Mild cardiomegaly."])
    >>> result.per_label["cardiomegaly"]["sensitivity"], result.scores["specificity"]
    (0.0, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radprompt.metrics._findings import FindingsMetric, per_sample_confusion
from radprompt.metrics.base import MetricResult, require
from radprompt.metrics.ranscore import confusion_ratio

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Clinical"]


def _defined_mean(values: np.ndarray, defined: np.ndarray) -> np.ndarray:
    import numpy as np

    count = defined.sum(-1)
    total = np.where(defined, values, 0.0).sum(-1)
    return np.divide(total, count, out=np.full_like(total, np.nan, dtype=float),
                     where=count > 0)


@dataclass(frozen=True)
class _ClinicalReducer:
    n_labels: int

    def __call__(self, summed: np.ndarray) -> dict[str, np.ndarray]:
        counts = summed.reshape(*summed.shape[:-1], 4, self.n_labels)
        tp, fp, fn, tn = (counts[..., k, :] for k in range(4))
        return {
            "f1": _defined_mean(confusion_ratio(2 * tp, 2 * tp + fp + fn), (tp + fp + fn) > 0),
            "sensitivity": _defined_mean(confusion_ratio(tp, tp + fn), (tp + fn) > 0),
            "specificity": _defined_mean(confusion_ratio(tn, tn + fp), (tn + fp) > 0),
        }


class Clinical(FindingsMetric):
    """Clinical efficacy. ``labels`` restricts scoring to some label ids."""

    name = "clinical"
    description = "Sensitivity, specificity and F1 per label and averaged over defined labels"

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        np = require("numpy", extra="metrics", needed_by="the clinical metric")
        comparison = self.compare(predictions=predictions, references=references)
        reduce = _ClinicalReducer(len(comparison.label_ids))
        scores = {key: float(value) for key, value in
                  reduce(comparison.statistics.sum(axis=0)).items()}
        tp, fp, fn, tn = per_sample_confusion(comparison.confusion)
        unscored = ~comparison.scored
        with np.errstate(invalid="ignore", divide="ignore"):
            per_sample = {
                "f1": np.where((tp + fp + fn) == 0, 1.0, 2 * tp / (2 * tp + fp + fn)),
                "sensitivity": np.where((tp + fn) > 0, tp / (tp + fn), np.nan),
                "specificity": np.where((tn + fp) > 0, tn / (tn + fp), np.nan),
                "agreement": (tp + tn) / max(1, len(comparison.label_ids)),
            }
        per_sample = {key: np.where(unscored, np.nan, value) for key, value in per_sample.items()}
        notes = []
        if comparison.failures:
            notes.append(f"{int(unscored.sum())} pair(s) not scored: extraction failed")
        return MetricResult(
            metric=self.name,
            scores=scores,
            primary="f1",
            sample_primary="agreement",
            per_sample=per_sample,
            statistics=comparison.statistics,
            reduce=reduce,
            per_label={
                s.label_id: {"sensitivity": s.recall, "specificity": s.specificity,
                             "f1": s.f1, "support": float(s.support)}
                for s in comparison.report.labels
            },
            notes=tuple(notes),
        )
