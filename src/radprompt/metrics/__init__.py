"""Metrics for generated reports: one module per metric, each with ``compute(*, predictions,
references)``.

``METRICS`` maps each metric's name (its module name) to its class. Importing this package is
light: every metric imports its heavy dependencies (sacrebleu, NLTK, torch, an LLM client) on
first ``compute``.

Example::

    >>> from radprompt.metrics import build_metric
    >>> build_metric("rouge").compute(predictions=["No effusion."],
    ...                               references=["No effusion."]).scores["rougeL"]
    1.0
"""

from __future__ import annotations

import inspect
from typing import Any

from radprompt.metrics.base import Metric, MetricResult, MissingDependencyError
from radprompt.metrics.bertscore import BERTScore
from radprompt.metrics.bleu import BLEU
from radprompt.metrics.clinical import Clinical
from radprompt.metrics.judge import Judge
from radprompt.metrics.meteor import METEOR
from radprompt.metrics.ranscore import RanScore
from radprompt.metrics.readability import Readability
from radprompt.metrics.rouge import ROUGE

__all__ = [
    "BLEU",
    "DEFAULT_METRICS",
    "METEOR",
    "METRICS",
    "ROUGE",
    "BERTScore",
    "Clinical",
    "Judge",
    "Metric",
    "MetricResult",
    "MissingDependencyError",
    "RanScore",
    "Readability",
    "build_metric",
]

METRICS: dict[str, type[Metric]] = {
    "ranscore": RanScore,
    "clinical": Clinical,
    "bleu": BLEU,
    "rouge": ROUGE,
    "meteor": METEOR,
    "bertscore": BERTScore,
    "readability": Readability,
    "judge": Judge,
}
"""Every metric by name; the name is the module that holds it."""

DEFAULT_METRICS = ("ranscore", "clinical", "bleu", "rouge", "meteor", "readability")
"""What ``radprompt evaluate`` computes when no metric is named (the ones without a model)."""


def build_metric(name: str, **options: Any) -> Metric:
    """Construct metric ``name``, passing it the ``options`` its constructor accepts.

    Options a metric does not take (``extractor`` for BLEU, say) are left out, so callers can
    offer one set of shared options to every metric.
    """
    try:
        cls = METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None
    accepted = inspect.signature(cls.__init__).parameters
    return cls(**{key: value for key, value in options.items() if key in accepted})
