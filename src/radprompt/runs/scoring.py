"""Score an extractor on a labelled split: the one scoring path of runs and the optimizer.

Example::

    >>> from pathlib import Path
    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Dataset
    >>> empty = Dataset(path=Path("empty.jsonl"))  # synthetic: no reports
    >>> scored = score_extraction(lambda reports: [], empty,
    ...                           labelset=load_labelset("chestxray21"))
    >>> scored.report.n_reports, scored.failures
    (0, [])
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from radprompt.extractors.base import ExtractionFailure
from radprompt.findings import Findings
from radprompt.labelset import LabelSet
from radprompt.reports import Dataset, Report
from radprompt.scoring import ScoreReport, score

__all__ = ["ExtractionScore", "score_extraction"]


@dataclass(frozen=True)
class ExtractionScore:
    """An extractor's predictions on a split, their score, and the reports it failed on."""

    report: ScoreReport
    predictions: dict[str, Findings]
    failures: list[ExtractionFailure] = field(default_factory=list)


def score_extraction(
    extract: Callable[[list[Report]], list[Findings | ExtractionFailure]],
    dataset: Dataset,
    *,
    labelset: LabelSet,
) -> ExtractionScore:
    """Extract with ``extract`` and score against the dataset's references."""
    predictions: dict[str, Findings] = {}
    failures: list[ExtractionFailure] = []
    for result in extract(dataset.reports):
        if isinstance(result, ExtractionFailure):
            failures.append(result)
        else:
            predictions[result.report_id] = result
    report = score(predictions=predictions, references=dataset.references, labelset=labelset,
                   labels=dataset.covered_labels, uncertain_as=dataset.uncertain_as)
    return ExtractionScore(report=report, predictions=predictions, failures=failures)
