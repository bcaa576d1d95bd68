"""Run a labelset's guard examples against an extractor, like unit tests.

Every example becomes one synthetic report; all of them go through ``extractor.extract`` in one
batch, and only the example's own label is compared with the state it must produce.

Example::

    >>> from radprompt.guards import check_guard_examples
    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.pipeline import build_extractor
    >>> ls = load_labelset("chestxray21")
    >>> report = check_guard_examples(ls, build_extractor("rules", labelset=ls),
    ...                               labels=["pneumothorax"])
    >>> report.total > 0
    True
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from radprompt.extractors.base import ExtractionFailure, Extractor, ProgressCallback
from radprompt.findings import State
from radprompt.labelset import GuardExample, LabelSet
from radprompt.reports import Report

__all__ = ["GuardError", "GuardFailure", "GuardReport", "check_guard_examples"]


@dataclass(frozen=True, slots=True)
class GuardFailure:
    """An example whose label came out in another state than the one it must produce."""

    label_id: str
    text: str
    expected: State
    got: State
    note: str = ""


@dataclass(frozen=True, slots=True)
class GuardError:
    """An example the extractor gave no answer for (an LLM answer that could not be used)."""

    label_id: str
    text: str
    expected: State
    reason: str


@dataclass(frozen=True, slots=True)
class GuardReport:
    """The outcome of one run of the guard examples."""

    failures: tuple[GuardFailure, ...] = ()
    errors: tuple[GuardError, ...] = ()
    label_totals: tuple[tuple[str, int], ...] = ()
    """``(label_id, number of examples)`` for every label run, in labelset order."""

    @property
    def total(self) -> int:
        return sum(count for _, count in self.label_totals)

    @property
    def passed(self) -> int:
        return self.total - len(self.failures) - len(self.errors)

    @property
    def ok(self) -> bool:
        """True when every example produced its state."""
        return not self.failures and not self.errors

    def by_label(self) -> dict[str, tuple[int, int]]:
        """``{label_id: (passed, total)}`` for every label run, in labelset order."""
        missed = Counter([f.label_id for f in self.failures] + [e.label_id for e in self.errors])
        return {label: (count - missed[label], count) for label, count in self.label_totals}


def check_guard_examples(
    labelset: LabelSet,
    extractor: Extractor,
    *,
    labels: Sequence[str] | None = None,
    progress: ProgressCallback | None = None,
) -> GuardReport:
    """Run the guard examples of ``labels`` (default: every label) through ``extractor``.

    Raises ``KeyError`` for a label id the labelset does not have.
    """
    chosen = (list(labelset.labels) if labels is None
              else [labelset.get(label_id) for label_id in labels])
    cases: list[tuple[str, GuardExample]] = [
        (label.id, example) for label in chosen for example in label.examples
    ]
    reports = [Report(f"guard-{index:05d}", example.text, meta={"language": example.lang})
               for index, (_, example) in enumerate(cases)]
    results = extractor.extract(reports, progress=progress) if reports else []
    failures: list[GuardFailure] = []
    errors: list[GuardError] = []
    for (label_id, example), result in zip(cases, results, strict=True):
        expected = State(example.state)
        if isinstance(result, ExtractionFailure):
            errors.append(GuardError(label_id, example.text, expected, result.reason))
            continue
        got = result.state(label_id)
        if got is not expected:
            failures.append(GuardFailure(label_id, example.text, expected, got, example.note))
    totals = tuple((label.id, len(label.examples)) for label in chosen)
    return GuardReport(failures=tuple(failures), errors=tuple(errors), label_totals=totals)
