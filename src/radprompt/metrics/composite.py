"""A fitted composite (RadCliQ-style): the clinical score combined with lexical metrics where
they add information.

Per report the composite is ``sum_k coefficient_k * component_k`` over per-sample scores of
registered metrics (``clinscore.score``, ``bleu.bleu4``, ``meteor.meteor`` ...). Coefficients
are fitted by ``radprompt.evaluation.composite.fit_composite`` as a pairwise logistic
regression on radiologists' preferences (which of two reports of one case rated higher), with
cross-validation by case, and saved as JSON; the default file ships with radprompt
(``radprompt/data/composite/radpref-dev.json``: fitted on the RadPref development half) and
its header says what it was fitted on and how well it agreed under cross-validation.

Example::

    >>> from radprompt.metrics.composite import Composite
    >>> metric = Composite(coefficients={"components": {"clinscore.score": 1.0,
    ...                                                 "bleu.bleu4": 0.5}})
    >>> result = metric.compute(predictions=["Small left pleural effusion."],
    ...                         references=["Small left pleural effusion."])
    >>> round(float(result.sample_scores[0]), 3)
    1.5
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from radprompt.errors import InputError
from radprompt.extractors.base import Extractor
from radprompt.labelset import LabelSet
from radprompt.metrics import build_metric
from radprompt.metrics.base import Metric, MetricResult, mean_result

__all__ = ["DEFAULT_COEFFICIENTS", "FORMAT", "Composite", "load_coefficients"]

FORMAT = "radprompt-composite/1"
DEFAULT_COEFFICIENTS = "radpref-dev"
"""The shipped fit: ``radprompt/data/composite/radpref-dev.json``."""


def load_coefficients(source: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A coefficients document from a mapping, a JSON path, or a shipped fit's name."""
    if isinstance(source, Mapping):
        data = dict(source)
    else:
        path = Path(source)
        if not path.is_file():
            shipped = resources.files("radprompt") / "data" / "composite" / f"{source}.json"
            if not shipped.is_file():
                raise InputError(path, "no such coefficients file or shipped fit "
                                 f"(shipped: {DEFAULT_COEFFICIENTS})")
            data = json.loads(shipped.read_text(encoding="utf-8"))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    components = data.get("components")
    if not isinstance(components, Mapping) or not components:
        raise InputError(str(source)[:80], "a composite needs 'components': "
                         "{'metric.score': coefficient, ...}")
    for key in components:
        if "." not in key:
            raise InputError(str(source)[:80], f"component {key!r} is not METRIC.SCORE")
    return data


class Composite(Metric):
    """``sum_k coefficient_k * component_k`` per report; components are registered metrics.

    ``coefficients``: a shipped fit's name (default), a JSON path or a mapping with
    ``components``. ``labelset`` / ``extractor`` serve the finding-based components.
    """

    name = "composite"
    description = "Fitted combination of the clinical score with lexical metrics (RadCliQ-style)"
    reads_context: ClassVar[bool] = True
    needs_extractor: ClassVar[bool] = True

    def __init__(
        self,
        *,
        coefficients: str | Path | Mapping[str, Any] = DEFAULT_COEFFICIENTS,
        labelset: LabelSet | str | Path = "chestxray21",
        extractor: Extractor | str | Path = "rules",
    ) -> None:
        self.coefficients = coefficients
        self.labelset = labelset
        self.extractor = extractor

    def components(self) -> list[str]:
        """The metrics this composite combines, in order."""
        document = load_coefficients(self.coefficients)
        return list(dict.fromkeys(key.split(".", 1)[0] for key in document["components"]))

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str],
                contexts: Sequence[Mapping[str, Any] | None] | None = None,
                computed: Mapping[str, MetricResult] | None = None) -> MetricResult:
        """``computed``: results of component metrics already computed on these same pairs
        (``radprompt evaluate`` passes them), reused instead of computed again."""
        import numpy as np

        document = load_coefficients(self.coefficients)
        components: dict[str, float] = {k: float(v) for k, v in
                                        document["components"].items()}
        results: dict[str, MetricResult] = {}
        for metric_name in dict.fromkeys(key.split(".", 1)[0] for key in components):
            reused = (computed or {}).get(metric_name)
            if reused is not None and reused.n_samples == len(predictions):
                results[metric_name] = reused
                continue
            metric = build_metric(metric_name, shared={"labelset": self.labelset,
                                                       "extractor": self.extractor})
            kwargs: dict[str, Any] = {"contexts": contexts} if metric.reads_context else {}
            results[metric_name] = metric.compute(predictions=predictions,
                                                  references=references, **kwargs)
        total = np.zeros(len(predictions))
        columns: dict[str, Any] = {}
        for key, coefficient in components.items():
            metric_name, score = key.split(".", 1)
            values = results[metric_name].per_sample.get(score)
            if values is None:
                raise InputError(key, f"metric {metric_name} has no per-sample score {score!r}; "
                                 f"it has {', '.join(results[metric_name].per_sample)}")
            columns[key] = values
            total = total + coefficient * np.asarray(values, dtype=float)
        notes = [" + ".join(f"{c:.4g} * {k}" for k, c in components.items())]
        if "fitted_on" in document:
            notes.append(f"fitted on {document['fitted_on']}; cross-validated agreement "
                         f"{document.get('cv_agreement', 'n/a')}")
        return mean_result(self.name, {"score": total}, primary="score",
                           extra_per_sample=columns, notes=notes)
