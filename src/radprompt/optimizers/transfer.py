"""What keeps an optimization honest beyond its target gold.

* ``GuardGate``: the labelset's guard examples (clinician-style sentences with the state they
  must produce). A candidate that breaks one its parent passes is discarded during the search.
* ``guard_scores``: macro-F1 of the same predictions against each guard reference of the
  experiment (independent gold for the same reports: scored, never used to choose).
* ``paired_bootstrap``: whether a candidate beats its parent on dev by more than noise, by a
  one-sided paired bootstrap over reports.
* ``TransferSettings``: the recipe's ``transfer:`` section (tolerance, alpha, support).

Example::

    >>> settings = TransferSettings.from_recipe({"transfer": {"alpha": 0.1}})
    >>> settings.alpha, settings.guard_tolerance
    (0.1, 0.005)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from radprompt.extractors.base import Extractor
from radprompt.findings import Findings
from radprompt.guards import GuardReport, check_guard_examples
from radprompt.labelset import LabelSet
from radprompt.reports import Dataset
from radprompt.scoring import ScoreReport, score

__all__ = ["GuardGate", "TransferSettings", "guard_scores", "paired_bootstrap"]


@dataclass(frozen=True)
class TransferSettings:
    """The ``transfer:`` section of an optimizer recipe (``optimizers/*.yaml``)."""

    guard_tolerance: float = 0.005
    """Largest drop of a guard reference's dev macro-F1 a candidate may cause."""
    alpha: float = 0.05
    """One-sided significance level of the paired bootstrap against the parent on dev."""
    bootstrap_samples: int = 1000
    narrowing_min_support: int = 10
    """A label with fewer positive reports (train or dev) cannot drive a narrowing change."""
    guard_examples: bool = True
    """Reject candidates that break a guard example their parent passes."""

    @classmethod
    def from_recipe(cls, recipe: Mapping[str, Any]) -> TransferSettings:
        section = recipe.get("transfer") or {}
        if not isinstance(section, Mapping):
            raise ValueError("the recipe's 'transfer' section must be a mapping")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(f"unknown transfer setting(s) {unknown}; known: {sorted(known)}")
        return cls(**section)


class GuardGate:
    """Runs a labelset's guard examples; remembers which ones the parent already fails.

    The parent is run per label on first need, so a check of one label's examples costs
    that label's examples only (requests, for an LLM).
    """

    def __init__(self, *, labelset: LabelSet, parent: Extractor) -> None:
        self.labelset = labelset
        self.parent = parent
        self.known_failures: set[tuple[str, str]] = set()
        self._checked: set[str] = set()

    def _learn(self, labels: Sequence[str]) -> None:
        missing = [label for label in labels if label not in self._checked]
        if missing:
            report = check_guard_examples(self.labelset, self.parent, labels=missing)
            self.known_failures |= {_key(f) for f in (*report.failures, *report.errors)}
            self._checked.update(missing)

    def parent_report(self) -> GuardReport:
        return check_guard_examples(self.labelset, self.parent)

    def broken(self, labelset: LabelSet, extractor: Extractor, *,
               labels: Sequence[str] | None = None) -> tuple[GuardReport, list[str]]:
        """The candidate's guard report and the examples it breaks that the parent passes."""
        self._learn(labels or self.labelset.ids)
        report = check_guard_examples(labelset, extractor, labels=labels)
        broken = [f"{f.label_id}: {f.text!r} expected {_value(f.expected)}, got "
                  f"{_value(f.got)}" for f in report.failures if _key(f) not in
                  self.known_failures]
        broken += [f"{e.label_id}: {e.text!r} got no answer ({e.reason})" for e in report.errors
                   if _key(e) not in self.known_failures]
        return report, broken


def _value(state: Any) -> str:
    return str(getattr(state, "value", state))


def _key(failure: Any) -> tuple[str, str]:
    return (failure.label_id, failure.text)


def guard_scores(predictions: Mapping[str, Findings], guards: Mapping[str, Dataset], *,
                 labelset: LabelSet) -> dict[str, ScoreReport]:
    """The predictions scored against each guard reference (same reports, other gold)."""
    return {name: score(predictions=predictions, references=guard.references,
                        labelset=labelset, labels=guard.covered_labels,
                        uncertain_as=guard.uncertain_as)
            for name, guard in guards.items()}


def _outcomes(predictions: Mapping[str, Findings], dataset: Dataset, labelset: LabelSet
              ) -> np.ndarray:
    """Per report and label: (true positive, false positive, false negative) as 0/1."""
    labels = [labelset.get(i) for i in (dataset.covered_labels or labelset.ids)]
    policies = [dataset.policy(label) for label in labels]
    empty = Findings(report_id="")
    rows = []
    for report_id, reference in dataset.references.items():
        predicted = predictions.get(report_id, empty)
        row = []
        for label, policy in zip(labels, policies, strict=True):
            gold = reference.is_positive(label.id, policy)
            guess = predicted.is_positive(label.id, policy)
            row.append((gold and guess, guess and not gold, gold and not guess))
        rows.append(row)
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(labels), 3)


def _macro_f1(counts: np.ndarray) -> np.ndarray:
    tp, fp, fn = counts[..., 0], counts[..., 1], counts[..., 2]
    denominator = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denominator, out=np.zeros_like(tp), where=denominator > 0)
    result: np.ndarray = f1.mean(axis=-1)
    return result


def paired_bootstrap(*, before: Mapping[str, Findings], after: Mapping[str, Findings],
                     dataset: Dataset, labelset: LabelSet, samples: int = 1000,
                     seed: int = 0) -> tuple[float, float]:
    """(observed macro-F1 gain, one-sided p-value that the gain is not above zero).

    Reports are resampled with replacement; both versions are scored on the same resample.
    """
    old = _outcomes(before, dataset, labelset)
    new = _outcomes(after, dataset, labelset)
    if old.shape[0] == 0 or old.shape[1] == 0:
        return 0.0, 1.0
    observed = float(_macro_f1(new.sum(axis=0)) - _macro_f1(old.sum(axis=0)))
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(old.shape[0], [1.0 / old.shape[0]] * old.shape[0],
                              size=samples).astype(np.float64)
    gains = (_macro_f1(np.einsum("bn,nlk->blk", weights, new))
             - _macro_f1(np.einsum("bn,nlk->blk", weights, old)))
    p_value = float((np.sum(gains <= 0) + 1) / (samples + 1))
    return observed, p_value
