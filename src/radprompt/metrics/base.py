"""The Metric plug-in kind: score generated reports against reference reports.

A metric's one abstract method is ``compute(*, predictions, references)``; it takes two equally
long sequences of report texts and returns a ``MetricResult``: the corpus scores, the per-sample
scores, and the per-sample *statistics* whose column sums determine the corpus scores. Resampling
(bootstrap confidence intervals, paired tests) re-adds those statistics instead of re-running the
metric, so a metric is computed once per system however many resamples are drawn.

Example::

    >>> from radprompt.metrics.base import mean_result
    >>> result = mean_result("demo", {"score": [1.0, 0.0, 0.5]}, primary="score")
    >>> result.scores["score"], float(result.reduce(result.statistics.sum(axis=0))["score"])
    (0.5, 0.5)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from radprompt.errors import MissingExtraError, require

if TYPE_CHECKING:
    import numpy as np

    from radprompt.llm import Usage

__all__ = [
    "Metric",
    "MetricResult",
    "MissingDependencyError",
    "Reducer",
    "check_pairs",
    "mean_result",
    "require",
]

Reducer = Callable[["np.ndarray"], dict[str, "np.ndarray"]]
"""Maps summed statistics, shape ``(..., k)``, to named scores of shape ``(...)``."""


MissingDependencyError = MissingExtraError
"""An optional dependency a metric needs is not installed (``radprompt.errors``'s one kind)."""


@dataclass(frozen=True)
class MetricResult:
    """What one metric says about one system's reports.

    ``scores`` are the corpus scores (``primary`` is the one systems are ranked by);
    ``per_sample`` holds one array of length n per per-sample score (NaN where a sample could
    not be scored); ``statistics`` is an ``(n, k)`` array whose column sums, passed to
    ``reduce``, give back ``scores``. ``sample_primary`` names the per-sample score that stands
    for ``primary`` when the two differ (a report has no macro-F1 of its own). ``per_label``
    maps label ids to their scores for the finding-based metrics; ``texts`` holds per-sample text
    columns (the judge's justifications). ``higher_is_better`` is ``None`` for descriptive scores
    (readability) that are not ranked.
    """

    metric: str
    scores: dict[str, float]
    primary: str
    per_sample: dict[str, np.ndarray]
    statistics: np.ndarray
    reduce: Reducer
    higher_is_better: bool | None = True
    per_label: dict[str, dict[str, float]] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    sample_primary: str | None = None
    texts: dict[str, list[str]] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.statistics.shape[0])

    @property
    def value(self) -> float:
        """The primary corpus score."""
        return self.scores[self.primary]

    @property
    def sample_scores(self) -> np.ndarray:
        """The per-sample counterpart of the primary score (what per-report rankings use)."""
        return self.per_sample[self.sample_primary or self.primary]


class Metric(ABC):
    """Base class of every metric. One abstract method: ``_compute``, which the public
    ``compute`` calls after the shared checks.

    Constructors only store their keyword parameters; models and other heavy state are loaded
    on first use and kept (attributes ending in ``_``), so one instance scores many systems.
    What callers need to know is stated on the class, never guessed:
    ``higher_is_better`` (``None``: a descriptive score that is not ranked),
    ``needs_extractor`` (findings are read from both sides with an extractor, so the metric
    takes ``labelset=`` and ``extractor=``), ``needs_model``, ``reads_context`` and ``usage_``.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    higher_is_better: ClassVar[bool | None] = True
    """Whether a higher primary score is better; ``None`` for descriptive scores."""
    needs_extractor: ClassVar[bool] = False
    """True when the metric reads findings with an extractor (it takes ``labelset=`` and
    ``extractor=``); callers build one extractor and offer it to these metrics."""
    needs_model: ClassVar[bool] = False
    """True when the metric needs a model the user names (an LLM, a trained model file);
    ``evaluate --metrics all`` leaves these out."""
    reads_context: ClassVar[bool] = False
    """True when ``compute`` uses ``contexts=`` (per pair: the patient's age, sex and
    indication); other metrics are given them too and leave them unread."""
    usage_: Usage | None = None
    """Requests, tokens and cost of the model calls made so far (metrics that call a model)."""

    def compute(self, *, predictions: Sequence[str], references: Sequence[str],
                contexts: Sequence[Mapping[str, Any] | None] | None = None,
                **options: Any) -> MetricResult:
        """Score ``predictions[i]`` against ``references[i]`` for every i.

        Both sides are checked once here (equally long sequences of texts); ``contexts``
        reaches the metrics that read it (``reads_context``); ``options`` go to ``_compute``.
        """
        predictions, references = check_pairs(predictions, references)
        if contexts is not None:
            contexts = list(contexts)
            if len(contexts) != len(predictions):
                raise ValueError(f"{len(contexts)} contexts for {len(predictions)} pairs")
            if self.reads_context:
                options["contexts"] = contexts
        compute: Callable[..., MetricResult] = self._compute
        return compute(predictions=predictions, references=references, **options)

    @abstractmethod
    def _compute(self, *, predictions: list[str], references: list[str]) -> MetricResult:
        """Score checked pairs (lists of texts of equal length)."""


def check_pairs(
    predictions: Sequence[str], references: Sequence[str]
) -> tuple[list[str], list[str]]:
    """Both sides as lists of strings of equal length, or ``ValueError``."""
    if isinstance(predictions, str) or isinstance(references, str):
        raise ValueError("predictions and references must be sequences of texts, not one string")
    predictions, references = list(predictions), list(references)
    if len(predictions) != len(references):
        raise ValueError(
            f"{len(predictions)} predictions but {len(references)} references; "
            "they must pair up one to one"
        )
    for side, texts in (("predictions", predictions), ("references", references)):
        for index, text in enumerate(texts):
            if not isinstance(text, str):
                raise ValueError(f"{side}[{index}] is {type(text).__name__}, not a text")
    return predictions, references


@dataclass(frozen=True)
class _MeanReducer:
    """Column 0 counts the scored samples; column i + 1 sums score ``names[i]``."""

    names: tuple[str, ...]

    def __call__(self, summed: np.ndarray) -> dict[str, np.ndarray]:
        import numpy as np

        count = summed[..., 0]
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                name: np.where(count > 0, summed[..., i + 1] / np.maximum(count, 1), np.nan)
                for i, name in enumerate(self.names)
            }


def mean_result(
    metric: str,
    per_sample: Mapping[str, Any],
    *,
    primary: str,
    headline: Sequence[str] | None = None,
    higher_is_better: bool | None = True,
    extra_per_sample: Mapping[str, Any] | None = None,
    notes: Sequence[str] = (),
    texts: Mapping[str, list[str]] | None = None,
) -> MetricResult:
    """A result whose corpus scores are the means of per-sample scores (NaN samples skipped).

    ``headline`` names the per-sample scores averaged into corpus scores (default: all);
    ``extra_per_sample`` are further per-sample columns that are reported but not averaged.
    """
    import numpy as np

    names = tuple(headline) if headline is not None else tuple(per_sample)
    arrays = {name: np.asarray(values, dtype=float) for name, values in per_sample.items()}
    n = len(next(iter(arrays.values()))) if arrays else 0
    scored = np.ones(n, dtype=bool)
    for name in names:
        scored &= ~np.isnan(arrays[name])
    statistics = np.zeros((n, len(names) + 1))
    statistics[:, 0] = scored
    for i, name in enumerate(names):
        statistics[:, i + 1] = np.where(scored, arrays[name], 0.0)
    reduce = _MeanReducer(names)
    corpus = reduce(statistics.sum(axis=0))
    for name, values in (extra_per_sample or {}).items():
        arrays[name] = np.asarray(values, dtype=float)
    return MetricResult(
        metric=metric,
        scores={name: float(corpus[name]) for name in names},
        primary=primary,
        per_sample=arrays,
        statistics=statistics,
        reduce=reduce,
        higher_is_better=higher_is_better,
        notes=tuple(notes),
        texts=dict(texts or {}),
    )
