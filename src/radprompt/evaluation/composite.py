"""Fit the composite metric on human preferences, cross-validated by case.

A pairwise logistic regression (scikit-learn, no intercept): for two reports of one case
whose mean ratings differ, the difference of their component scores predicts which one the
radiologists preferred. Its coefficients, rescaled so that the first component's is 1 (a
ranking does not change under positive scaling), are the composite's. The cross-validated
agreement holds out whole cases: no case's reports are scored by a fit that saw them.
Extra pairs (RadJudge's expected rankings, for example) may join every training fold.

Example::

    >>> from radprompt.evaluation.human import HumanPreferences
    >>> prefs = HumanPreferences(ratings={(c, s): (r,) for c in "abcdef"
    ...                                   for s, r in (("x", 5.0), ("y", 1.0))})
    >>> scores = {"clinscore.score": {(c, s): float(s == "x") for c in "abcdef" for s in "xy"},
    ...           "bleu.bleu4": {(c, s): 0.5 for c in "abcdef" for s in "xy"}}
    >>> fit = fit_composite(prefs, scores=scores, folds=3)
    >>> fit.coefficients["clinscore.score"], fit.cv_agreement
    (1.0, 1.0)
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radprompt.evaluation.human import HumanPreferences, Item, pairwise_items
from radprompt.metrics.base import require
from radprompt.metrics.composite import FORMAT

__all__ = ["CompositeFit", "fit_composite"]

Pair = tuple[str, Item, Item, float]


@dataclass(frozen=True)
class CompositeFit:
    coefficients: dict[str, float]
    cv_agreement: float
    train_agreement: float
    pairs: int
    cases: int
    folds: int
    fitted_on: str = ""
    cv_per_fold: tuple[float, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "components": self.coefficients,
                "fitted_on": self.fitted_on, "cv_agreement": round(self.cv_agreement, 4),
                "train_agreement": round(self.train_agreement, 4), "pairs": self.pairs,
                "cases": self.cases, "folds": self.folds,
                "method": "pairwise logistic regression on score differences, no intercept, "
                          "C=1; coefficients rescaled so the first is 1; folds by case"}

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        return path


def _fit(pairs: Sequence[Pair], scores: Mapping[str, Mapping[Item, float]],
         components: Sequence[str], c: float) -> dict[str, float]:
    import numpy as np

    linear_model = require("sklearn.linear_model", extra="significance",
                           needed_by="fitting the composite")
    x = np.array([[scores[k][a] - scores[k][b] for k in components] for _, a, b, _ in pairs])
    y = np.array([h > 0 for *_, h in pairs])
    model = linear_model.LogisticRegression(C=c, fit_intercept=False)
    model.fit(np.vstack([x, -x]), np.concatenate([y, ~y]))
    coefficients = model.coef_[0]
    scale = coefficients[0] if coefficients[0] > 0 else max(abs(coefficients).max(), 1e-12)
    return {k: float(v / scale) for k, v in zip(components, coefficients, strict=True)}


def _agreement(pairs: Sequence[Pair], scores: Mapping[str, Mapping[Item, float]],
               coefficients: Mapping[str, float]) -> float:
    if not pairs:
        return float("nan")
    agree = 0
    for _, a, b, human in pairs:
        delta = sum(w * (scores[k][a] - scores[k][b]) for k, w in coefficients.items())
        agree += delta * human > 1e-12
    return agree / len(pairs)


def fit_composite(
    prefs: HumanPreferences,
    *,
    scores: Mapping[str, Mapping[Item, float]],
    components: Sequence[str] | None = None,
    extra_pairs: Sequence[Pair] = (),
    folds: int = 5,
    seed: int = 0,
    c: float = 1.0,
    fitted_on: str = "",
) -> CompositeFit:
    """Fit on every case, and report agreement under ``folds``-fold cross-validation by case.

    ``scores`` maps component names (``metric.score``) to per-item scores; ``extra_pairs``
    (case, better item, worse item, 1.0) join every training fold and the final fit but are
    never scored in the cross-validated figure.
    """
    import numpy as np

    components = list(components or scores)
    pairs = pairwise_items(prefs)
    cases = sorted({case for case, *_ in pairs})
    order = np.random.default_rng(seed).permutation(len(cases))
    fold_of = {cases[i]: rank % folds for rank, i in enumerate(order)}
    held_out_agree, per_fold = 0.0, []
    for k in range(folds):
        train = [p for p in pairs if fold_of[p[0]] != k] + list(extra_pairs)
        test = [p for p in pairs if fold_of[p[0]] == k]
        coefficients = _fit(train, scores, components, c)
        fold_agreement = _agreement(test, scores, coefficients)
        per_fold.append(fold_agreement)
        held_out_agree += fold_agreement * len(test)
    final = _fit(list(pairs) + list(extra_pairs), scores, components, c)
    return CompositeFit(
        coefficients=final, cv_agreement=held_out_agree / len(pairs),
        train_agreement=_agreement(pairs, scores, final), pairs=len(pairs), cases=len(cases),
        folds=folds, fitted_on=fitted_on, cv_per_fold=tuple(per_fold))
