"""Shared by the finding-based metrics (Ran Score, clinical): extraction and confusion statistics.

Both sides of every pair go through the same extractor; the per-sample statistics are, per
label, the four indicators tp / fp / fn / tn, so any resample's per-label counts are their sums.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from radprompt.extractors.base import (
    ExtractionFailure,
    ExtractionResult,
    Extractor,
    ProgressCallback,
)
from radprompt.extractors.registry import build_extractor
from radprompt.findings import Findings
from radprompt.labelset import LabelSet, load_labelset
from radprompt.metrics.base import Metric, check_pairs
from radprompt.reports import Report
from radprompt.scoring import ScoreReport, score

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "CachingExtractor",
    "FindingsComparison",
    "FindingsMetric",
    "compare_findings",
    "resolve_extractor",
]


class CachingExtractor(Extractor):
    """Wraps an extractor and remembers its findings by report text.

    A reference shared by several systems, or two metrics reading the same findings, is
    extracted once. Failures are not remembered.
    """

    def __init__(self, extractor: Extractor) -> None:
        self.extractor = extractor
        self._by_text: dict[str, Findings] = {}

    def extract(
        self, reports: Sequence[Report], *, progress: ProgressCallback | None = None
    ) -> list[ExtractionResult]:
        missing: dict[str, Report] = {}
        for report in reports:
            if report.text not in self._by_text and report.text not in missing:
                missing[report.text] = Report(id=f"text-{len(missing)}", text=report.text)
        fresh: dict[str, ExtractionResult] = {}
        if missing:
            results = self.extractor.extract(list(missing.values()), progress=progress)
            for text, result in zip(missing, results, strict=True):
                fresh[text] = result
                if isinstance(result, Findings):
                    self._by_text[text] = result
        out: list[ExtractionResult] = []
        for report in reports:
            result = self._by_text.get(report.text) or fresh[report.text]
            out.append(dataclasses.replace(result, report_id=report.id))
        return out


def resolve_extractor(
    extractor: Extractor | str | Path, *, labelset: LabelSet
) -> Extractor:
    """An extractor instance, or the one a recipe name / path (``rules``) describes."""
    if isinstance(extractor, Extractor):
        return extractor
    return build_extractor(extractor, labelset=labelset)


def resolve_labelset(labelset: LabelSet | str | Path) -> LabelSet:
    return labelset if isinstance(labelset, LabelSet) else load_labelset(labelset)


@dataclass(frozen=True)
class FindingsComparison:
    """Findings of n pairs compared label by label.

    ``scored`` marks the pairs whose two sides were both extracted; ``confusion`` is
    ``(n, 4, L)``: tp, fp, fn, tn indicators per pair and label (zero for unscored pairs).
    ``report`` is ``radprompt.scoring.score`` over the scored pairs.
    """

    label_ids: tuple[str, ...]
    scored: np.ndarray
    confusion: np.ndarray
    report: ScoreReport
    failures: tuple[ExtractionFailure, ...]

    @property
    def statistics(self) -> np.ndarray:
        """``(n, 4 L)``: the confusion indicators flattened (all tp, then fp, fn, tn)."""
        return self.confusion.reshape(self.confusion.shape[0], -1)


def compare_findings(
    predictions: Sequence[str],
    references: Sequence[str],
    *,
    labelset: LabelSet,
    extractor: Extractor,
    labels: Sequence[str] | None = None,
) -> FindingsComparison:
    """Extract both sides with ``extractor`` and compare them per label."""
    import numpy as np

    n = len(predictions)
    reports = [Report(id=f"prediction-{i}", text=text) for i, text in enumerate(predictions)]
    reports += [Report(id=f"reference-{i}", text=text) for i, text in enumerate(references)]
    results = extractor.extract(reports)
    predicted, reference = results[:n], results[n:]
    failures = tuple(r for r in results if isinstance(r, ExtractionFailure))
    scored = np.array([
        isinstance(p, Findings) and isinstance(r, Findings)
        for p, r in zip(predicted, reference, strict=True)
    ], dtype=bool)
    wanted = tuple(labels) if labels is not None else tuple(labelset.ids)
    label_objects = [labelset.get(label_id) for label_id in wanted]
    guess = np.zeros((n, len(wanted)), dtype=bool)
    gold = np.zeros((n, len(wanted)), dtype=bool)
    by_id_predicted: dict[str, Findings] = {}
    by_id_reference: dict[str, Findings] = {}
    for i in np.flatnonzero(scored):
        p, r = predicted[i], reference[i]
        assert isinstance(p, Findings) and isinstance(r, Findings)
        by_id_predicted[str(i)], by_id_reference[str(i)] = p, r
        for j, label in enumerate(label_objects):
            guess[i, j] = p.is_positive(label.id, label.uncertainty_policy)
            gold[i, j] = r.is_positive(label.id, label.uncertainty_policy)
    report = score(
        predictions=by_id_predicted, references=by_id_reference, labelset=labelset,
        labels=list(wanted),
    )
    confusion = np.stack([gold & guess, guess & ~gold, gold & ~guess, ~gold & ~guess], axis=1)
    confusion &= scored[:, None, None]
    return FindingsComparison(
        label_ids=wanted,
        scored=scored,
        confusion=confusion.astype(float),
        report=report,
        failures=failures,
    )


def per_sample_confusion(confusion: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per pair, tp / fp / fn / tn summed over labels."""
    summed = confusion.sum(axis=2)
    return summed[:, 0], summed[:, 1], summed[:, 2], summed[:, 3]


class FindingsMetric(Metric):
    """Base of the metrics that compare findings extracted from both sides of each pair.

    ``labels`` restricts scoring to some label ids (default: the whole labelset).
    """

    needs_extractor: ClassVar[bool] = True

    def __init__(
        self,
        *,
        labelset: LabelSet | str | Path = "chestxray21",
        extractor: Extractor | str | Path = "rules",
        labels: Sequence[str] | None = None,
    ) -> None:
        self.labelset = labelset
        self.extractor = extractor
        self.labels = labels

    def compare(self, *, predictions: Sequence[str], references: Sequence[str]
                ) -> FindingsComparison:
        predictions, references = check_pairs(predictions, references)
        labelset = resolve_labelset(self.labelset)
        return compare_findings(
            predictions, references, labelset=labelset,
            extractor=resolve_extractor(self.extractor, labelset=labelset), labels=self.labels,
        )
