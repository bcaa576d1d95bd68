"""Ran Score: clinical findings of generated and reference reports compared label by label.

Both sides are read by the same frozen extractor (the rule engine by default; any recipe, an
exported bundle's extractor or an LLM extractor work the same). Per label: precision, recall
and F1 of the generated report's positive findings against the reference's, with uncertainty
resolved by each label's policy and No Finding derived. Corpus scores are Ran Score's:
``macro_f1`` is the plain mean of per-label F1 with ``zero_division=0`` (a label positive on
neither side scores 0), ``micro_f1`` pools the counts of all labels. The counting is
``radprompt.scoring.score``'s. Per sample, ``f1`` pools one report's labels (1.0 when neither
side has a positive finding).

Example::

    >>> from radprompt.metrics.ranscore import RanScore
    >>> result = RanScore(labelset="chestxray21").compute(
    ...     predictions=["The lungs show infection, and a small pleural effusion is visible."],
    ...     references=["The chest X-ray shows evidence of pneumonia. No pleural effusion."])
    >>> result.per_label["pneumonia"]["f1"], result.per_label["pleural_effusion"]["f1"]
    (1.0, 0.0)
    >>> round(float(result.per_sample["f1"][0]), 3)
    0.667
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radprompt.metrics._findings import FindingsMetric, per_sample_confusion
from radprompt.metrics.base import MetricResult, require

if TYPE_CHECKING:
    import numpy as np

__all__ = ["RanScore", "confusion_ratio"]


def confusion_ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """``numerator / denominator`` with 0 where the denominator is 0 (``zero_division=0``)."""
    import numpy as np

    return np.divide(numerator, denominator, out=np.zeros_like(numerator, dtype=float),
                     where=denominator > 0)


@dataclass(frozen=True)
class _RanScoreReducer:
    n_labels: int

    def __call__(self, summed: np.ndarray) -> dict[str, np.ndarray]:
        counts = summed.reshape(*summed.shape[:-1], 4, self.n_labels)
        tp, fp, fn = counts[..., 0, :], counts[..., 1, :], counts[..., 2, :]
        f1 = confusion_ratio(2 * tp, 2 * tp + fp + fn)
        tp_all, fp_all, fn_all = tp.sum(-1), fp.sum(-1), fn.sum(-1)
        return {
            "macro_f1": f1.mean(-1),
            "micro_f1": confusion_ratio(2 * tp_all, 2 * tp_all + fp_all + fn_all),
            "macro_precision": confusion_ratio(tp, tp + fp).mean(-1),
            "macro_recall": confusion_ratio(tp, tp + fn).mean(-1),
        }


class RanScore(FindingsMetric):
    """Ran Score. ``labels`` restricts scoring to some label ids (default: the whole labelset)."""

    name = "ranscore"
    description = "Finding-level P / R / F1 per label; macro-F1 (Ran Score) and micro-F1"

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        np = require("numpy", extra="metrics", needed_by="Ran Score")
        comparison = self.compare(predictions=predictions, references=references)
        report = comparison.report
        reduce = _RanScoreReducer(len(comparison.label_ids))
        scores = {key: float(value) for key, value in
                  reduce(comparison.statistics.sum(axis=0)).items()}
        scores["macro_f1"], scores["micro_f1"] = report.macro_f1, report.micro_f1
        tp, fp, fn, _ = per_sample_confusion(comparison.confusion)
        nothing = (tp + fp + fn) == 0
        unscored = ~comparison.scored
        per_sample = {
            "precision": np.where(nothing, 1.0, confusion_ratio(tp, tp + fp)),
            "recall": np.where(nothing, 1.0, confusion_ratio(tp, tp + fn)),
            "f1": np.where(nothing, 1.0, confusion_ratio(2 * tp, 2 * tp + fp + fn)),
        }
        per_sample = {key: np.where(unscored, np.nan, value) for key, value in per_sample.items()}
        notes = []
        empty = [s.label_id for s in report.labels if s.tp + s.fp + s.fn == 0]
        if empty:
            notes.append(f"{len(empty)} of {len(report.labels)} labels are positive on neither "
                         "side and score F1 0 in macro_f1 (zero_division=0, as Ran Score)")
        if comparison.failures:
            notes.append(f"{int(unscored.sum())} pair(s) not scored: extraction failed")
        return MetricResult(
            metric=self.name,
            scores=scores,
            primary="macro_f1",
            sample_primary="f1",
            per_sample=per_sample,
            statistics=comparison.statistics,
            reduce=reduce,
            per_label={
                s.label_id: {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                             "support": float(s.support)}
                for s in report.labels
            },
            notes=tuple(notes),
        )
