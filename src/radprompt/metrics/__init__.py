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

import importlib
import inspect
from collections.abc import Mapping
from typing import Any

from radprompt.metrics.base import Metric, MetricResult, MissingDependencyError
from radprompt.metrics.bertscore import BERTScore
from radprompt.metrics.bleu import BLEU
from radprompt.metrics.clinical import Clinical
from radprompt.metrics.clinscore import ClinScore
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
    "SHARED_OPTIONS",
    "BERTScore",
    "ClinScore",
    "Clinical",
    "Judge",
    "Metric",
    "MetricResult",
    "MissingDependencyError",
    "RanScore",
    "Readability",
    "build_metric",
    "metric_class",
    "metric_names",
    "metric_options",
]

METRICS: dict[str, type[Metric] | str] = {
    "ranscore": RanScore,
    "clinical": Clinical,
    "clinscore": ClinScore,
    "composite": "radprompt.metrics.composite:Composite",
    "bleu": BLEU,
    "rouge": ROUGE,
    "meteor": METEOR,
    "bertscore": BERTScore,
    "readability": Readability,
    "judge": Judge,
    "trained": "radprompt.significance.trained:TrainedSignificance",
    "judge_one_pass": "radprompt.significance.llm_judges:OnePassJudge",
    "judge_two_pass": "radprompt.significance.llm_judges:TwoPassJudge",
}
"""Every metric by name. A class, or ``"module:Class"`` for metrics loaded on first use: the
composite (it builds the others through this registry) and the significance package's
trained metric and LLM judges (they live in a layer above the metrics)."""

DEFAULT_METRICS = ("clinscore", "composite", "ranscore", "clinical", "bleu", "rouge", "meteor",
                   "readability")
"""What ``radprompt evaluate`` computes when no metric is named (the ones without a model)."""

SHARED_OPTIONS = ("labelset", "extractor")
"""Options callers offer every metric; a metric that does not take one ignores it."""


def metric_class(name: str) -> type[Metric]:
    """The class registered as ``name``; ``ValueError`` naming the known ones if none."""
    try:
        entry = METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; known: {', '.join(METRICS)}") from None
    if isinstance(entry, str):
        module, _, attribute = entry.partition(":")
        cls = getattr(importlib.import_module(module), attribute)
        if not (isinstance(cls, type) and issubclass(cls, Metric)):
            raise TypeError(f"{entry} is not a Metric")
        return cls
    return entry


def metric_names(*, model_free: bool = False) -> list[str]:
    """Every registered metric's name; ``model_free`` leaves out those that need a model the
    user names (``Metric.needs_model``: the LLM judges, the trained metric).

    Example::

        >>> "judge" in metric_names(), "judge" in metric_names(model_free=True)
        (True, False)
    """
    return [name for name in METRICS
            if not (model_free and metric_class(name).needs_model)]


def metric_options(name: str) -> list[str]:
    """The keyword options metric ``name`` takes."""
    names: dict[str, None] = {}
    for cls in metric_class(name).__mro__:  # an __init__ taking **kwargs passes them up
        if "__init__" not in vars(cls):
            continue
        parameters = inspect.signature(vars(cls)["__init__"]).parameters.values()
        names.update((p.name, None) for p in parameters if p.name != "self"
                     and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    return list(names)


def build_metric(name: str, *, shared: Mapping[str, Any] | None = None,
                 **options: Any) -> Metric:
    """Construct metric ``name`` with ``options``; an option it does not take raises
    ``ValueError`` naming the ones it does. ``shared`` options (and ``labelset`` /
    ``extractor`` given as options) go only to the metrics that take them, so callers can offer
    one set of shared options to every metric.
    """
    accepted = metric_options(name)
    offered = {**dict(shared or {}),
               **{k: v for k, v in options.items() if k in SHARED_OPTIONS}}
    given = {k: v for k, v in options.items() if k not in SHARED_OPTIONS}
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        raise ValueError(f"metric {name!r} has no option(s) {', '.join(unknown)}; its options: "
                         f"{', '.join(accepted) or 'none'}")
    kwargs = {k: v for k, v in offered.items() if k in accepted}
    return metric_class(name)(**{**kwargs, **given})
