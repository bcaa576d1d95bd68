"""A trained, interpretable clinical-significance metric on finding-level features.

``SignificanceClassifier`` fits a logistic regression (scikit-learn) that tells significant
errors from harmless variations using ``FindingFeatures``; each coefficient is the weight of one
readable feature ("a laterality mismatch raises the log-odds of a significant error by 4.1").
As a metric (``TrainedSignificance``) it scores a candidate report against its reference as
the probability that the candidate carries *no* clinically significant error, and
``explain`` lists the features that drove each score.

The model is saved as ``<name>.joblib`` (the fitted estimator; a pickle, so load only files you
trust) with a ``<name>.json`` sidecar: feature names, coefficients, labelset, training counts.

Example::

    >>> from radprompt.significance import generate_pairs, load_vocabulary
    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import read_dataset
    >>> labels = load_labelset("chestxray21")
    >>> reports = read_dataset("experiments/demo/train.jsonl", labelset=labels).reports[:40]
    >>> pairs = generate_pairs(reports, labelset=labels, seed=0).pairs
    >>> model = SignificanceClassifier(labelset="chestxray21").fit_pairs(pairs)
    >>> metric = TrainedSignificance(model=model)
    >>> result = metric.compute(predictions=["Large right pleural effusion."],
    ...                         references=["Small left pleural effusion."])
    >>> float(result.sample_scores[0]) < 0.5
    True
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.errors import InputError
from radprompt.labelset import LabelSet, load_labelset
from radprompt.metrics.base import Metric, MetricResult, check_pairs, mean_result, require
from radprompt.significance.features import FindingFeatures
from radprompt.significance.perturb import Pair
from radprompt.significance.vocabulary import PerturbationVocabulary, load_vocabulary

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Driver", "SignificanceClassifier", "TrainedSignificance"]

logger = logging.getLogger(__name__)
FORMAT = "radprompt-significance-classifier/1"


@dataclass(frozen=True)
class Driver:
    """One feature's part in one score: its value and what it added to the log-odds."""

    feature: str
    value: float
    contribution: float

    def to_json(self) -> dict[str, Any]:
        return {"feature": self.feature, "value": self.value,
                "contribution": round(self.contribution, 4)}


class SignificanceClassifier:
    """Logistic regression on ``FindingFeatures``; scikit-learn conventions.

    The constructor only stores its parameters; ``fit`` sets ``features_``,
    ``feature_names_``, ``estimator_`` and ``training_``. ``C`` is the inverse regularisation
    strength, ``class_weight`` scikit-learn's (``"balanced"`` by default, as generated pair sets
    have more of some kinds than others). With ``monotonic`` (the default) a feature whose
    weight comes out negative is dropped and the model refit until every weight is positive or
    zero: more disagreement between two reports never makes the candidate look better than the
    reference itself.
    """

    def __init__(
        self,
        *,
        labelset: LabelSet | str | Path = "chestxray21",
        vocabulary: PerturbationVocabulary | str | Path | None = None,
        C: float = 1.0,  # noqa: N803 - scikit-learn's name
        class_weight: str | None = "balanced",
        monotonic: bool = True,
    ) -> None:
        self.labelset = labelset
        self.vocabulary = vocabulary
        self.C = C
        self.class_weight = class_weight
        self.monotonic = monotonic

    # -- fitting -------------------------------------------------------------------------------
    def _featurizer(self) -> FindingFeatures:
        labelset = self.labelset if isinstance(self.labelset, LabelSet) else \
            load_labelset(self.labelset)
        vocabulary = self.vocabulary
        if not isinstance(vocabulary, PerturbationVocabulary):
            vocabulary = load_vocabulary(labelset=labelset, path=vocabulary)
        return FindingFeatures(labelset=labelset, vocabulary=vocabulary)

    def fit(
        self, *, references: Sequence[str], candidates: Sequence[str], significant: Sequence[bool]
    ) -> SignificanceClassifier:
        require("sklearn", extra="significance", needed_by="the trained significance metric")
        import numpy as np
        from sklearn.linear_model import LogisticRegression

        if len(set(significant)) < 2:
            raise ValueError("training needs both significant errors and harmless variations")
        self.features_ = self._featurizer()
        self.feature_names_ = self.features_.feature_names
        matrix = self.features_.transform(references=references, candidates=candidates)
        target = [int(bool(flag)) for flag in significant]
        kept = list(range(matrix.shape[1]))
        while True:
            estimator = LogisticRegression(C=self.C, class_weight=self.class_weight,
                                           max_iter=5000)
            estimator.fit(matrix[:, kept], target)
            negative = [kept[i] for i, w in enumerate(estimator.coef_[0]) if w < 0]
            if not self.monotonic or not negative:
                break
            kept = [column for column in kept if column not in negative]
        coefficients = [0.0] * matrix.shape[1]
        for column, weight in zip(kept, estimator.coef_[0], strict=True):
            coefficients[column] = float(weight)
        estimator.coef_ = np.array([coefficients])
        estimator.n_features_in_ = matrix.shape[1]
        self.estimator_ = estimator
        self.training_: dict[str, Any] = {
            "pairs": len(references), "significant": int(sum(map(bool, significant)))}
        return self

    def fit_pairs(self, pairs: Sequence[Pair]) -> SignificanceClassifier:
        """``fit`` on generated pairs (records how many of each kind it saw)."""
        self.fit(references=[p.reference for p in pairs], candidates=[p.variant for p in pairs],
                 significant=[p.significant for p in pairs])
        self.training_["kinds"] = dict(Counter(p.kind for p in pairs))
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "estimator_"):
            raise ValueError("this SignificanceClassifier is not fitted yet: call fit or load")

    # -- using ---------------------------------------------------------------------------------
    def decision_function(self, *, references: Sequence[str],
                          candidates: Sequence[str]) -> np.ndarray:
        """Log-odds of a significant error, per pair."""
        self._check_fitted()
        matrix = self.features_.transform(references=references, candidates=candidates)
        return self.estimator_.decision_function(matrix)

    def predict_proba(self, *, references: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """Probability of a significant error, per pair."""
        import numpy as np

        logits = self.decision_function(references=references, candidates=candidates)
        return 1.0 / (1.0 + np.exp(-logits))

    def coefficients(self) -> dict[str, float]:
        self._check_fitted()
        return {name: float(weight) for name, weight in
                zip(self.feature_names_, self.estimator_.coef_[0], strict=True)}

    @property
    def intercept(self) -> float:
        self._check_fitted()
        return float(self.estimator_.intercept_[0])

    def explain(self, *, references: Sequence[str], candidates: Sequence[str],
                top: int = 3) -> list[list[Driver]]:
        """Per pair, the features that moved its score most (largest ``|contribution|``)."""
        self._check_fitted()
        matrix = self.features_.transform(references=references, candidates=candidates)
        weights = self.estimator_.coef_[0]
        explanations = []
        for row in matrix:
            drivers = [Driver(name, float(value), float(value * weight))
                       for name, value, weight in zip(self.feature_names_, row, weights,
                                                      strict=True) if value]
            drivers.sort(key=lambda d: abs(d.contribution), reverse=True)
            explanations.append(drivers[:top])
        return explanations

    # -- saving --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> tuple[Path, Path]:
        """Write ``<path>.joblib`` and its ``<path>.json`` sidecar; return both paths."""
        self._check_fitted()
        joblib = require("joblib", extra="significance", needed_by="saving the trained metric")
        import sklearn

        base = Path(path)
        base = base.with_suffix("") if base.suffix in (".joblib", ".json") else base
        base.parent.mkdir(parents=True, exist_ok=True)
        model_path, sidecar = base.with_suffix(".joblib"), base.with_suffix(".json")
        joblib.dump(self.estimator_, model_path)
        labelset = self.features_.labelset
        sidecar.write_text(json.dumps({
            "format": FORMAT,
            "labelset": labelset.name,
            "labelset_version": labelset.version,
            "vocabulary": str(self.vocabulary) if isinstance(self.vocabulary, (str, Path))
            else None,
            "vocabulary_version": self.features_.vocabulary.version,
            "C": self.C,
            "class_weight": self.class_weight,
            "monotonic": self.monotonic,
            "sklearn_version": sklearn.__version__,
            "feature_names": self.feature_names_,
            "coefficients": self.coefficients(),
            "intercept": self.intercept,
            "training": self.training_,
        }, indent=2) + "\n", encoding="utf-8")
        return model_path, sidecar

    @classmethod
    def load(cls, path: str | Path) -> SignificanceClassifier:
        """Load a model saved by ``save`` (``path`` with or without its suffix)."""
        joblib = require("joblib", extra="significance", needed_by="loading the trained metric")
        base = Path(path)
        base = base.with_suffix("") if base.suffix in (".joblib", ".json") else base
        model_path, sidecar = base.with_suffix(".joblib"), base.with_suffix(".json")
        for needed in (model_path, sidecar):
            if not needed.is_file():
                raise InputError(needed, "file not found (a model is a .joblib file with a "
                                 ".json sidecar, written by 'radprompt significance train')")
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise InputError(sidecar, f"not a {FORMAT} sidecar")
        model = cls(labelset=meta["labelset"], vocabulary=meta.get("vocabulary"),
                    C=meta.get("C", 1.0), class_weight=meta.get("class_weight"),
                    monotonic=meta.get("monotonic", True))
        model.features_ = model._featurizer()
        model.feature_names_ = model.features_.feature_names
        if model.feature_names_ != meta["feature_names"]:
            raise InputError(sidecar, "the model's features differ from what this labelset "
                             "and vocabulary give; retrain it")
        model.estimator_ = joblib.load(model_path)
        model.training_ = dict(meta.get("training", {}))
        return model


class TrainedSignificance(Metric):
    """The trained significance metric: P(no clinically significant error) per report.

    ``model`` is a fitted ``SignificanceClassifier`` or the path of a saved one. Per sample,
    ``score`` is the probability and ``p_significant`` its complement; the corpus score is
    their mean.
    """

    name = "trained"
    needs_model = True
    description = "P(no clinically significant error), trained logistic regression on findings"

    def __init__(self, *, model: SignificanceClassifier | str | Path) -> None:
        self.model = model

    def classifier(self) -> SignificanceClassifier:
        if not isinstance(self.model, SignificanceClassifier):
            self.model = SignificanceClassifier.load(self.model)
        return self.model

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        p_error = self.classifier().predict_proba(references=references, candidates=predictions)
        return mean_result(self.name, {"score": 1.0 - p_error}, primary="score",
                           extra_per_sample={"p_significant": p_error},
                           notes=("score = P(no clinically significant error) from a logistic "
                                  "regression on finding-level features",))

    def explain(self, *, predictions: Sequence[str], references: Sequence[str],
                top: int = 3) -> list[list[Driver]]:
        predictions, references = check_pairs(predictions, references)
        return self.classifier().explain(references=references, candidates=predictions,
                                         top=top)
