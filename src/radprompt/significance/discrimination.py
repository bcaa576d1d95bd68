"""Discrimination and robustness of a report metric on labelled pairs.

Each metric scores every variant against its reference, and the unchanged reference against
itself (its own ceiling for that report). Then, with ``drop = score(reference, reference) -
score(variant, reference)``:

- **discrimination** is the share of significant-error pairs the metric scores below the
  unchanged report (``drop > margin``; ``margin`` 0 by default);
- **robustness** is the share of harmless pairs scored within ``tolerance`` of it
  (``|drop| <= tolerance``);
- **balance** is their harmonic mean; **AUC** is the probability that an error pair's drop is
  larger than a harmless pair's (ties count half), which needs no threshold.

Both rates are also given per kind. Pairs a metric could not score (NaN) are left out and
counted.

Example::

    >>> from radprompt.significance.perturb import Pair
    >>> pairs = [Pair("a", "r", "laterality_swap", True, "Left effusion.", "Right effusion."),
    ...          Pair("b", "r", "synonym", False, "Left effusion.", "Left pleural effusion.")]
    >>> rates = discrimination_robustness(pairs, identity=[1.0, 1.0], variant=[0.5, 0.98],
    ...                                   tolerance=0.05)
    >>> rates.discrimination, rates.robustness, rates.balance, rates.auc
    (1.0, 1.0, 1.0, 1.0)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.metrics.base import Metric, require
from radprompt.significance.perturb import Pair

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "PairScores",
    "SignificanceEvaluation",
    "SignificanceRates",
    "build_metrics",
    "discrimination_robustness",
    "evaluate_pairs",
    "plot_tradeoff",
    "score_pairs",
]

logger = logging.getLogger(__name__)

DEFAULT_TOLERANCE = 0.02
EPSILON = 1e-9


@dataclass(frozen=True)
class PairScores:
    """One metric's per-pair scores: of the variant and of the unchanged reference."""

    metric: str
    identity: np.ndarray
    variant: np.ndarray
    seconds: float = 0.0
    usage: dict[str, Any] | None = None

    @property
    def drop(self) -> np.ndarray:
        return self.identity - self.variant


@dataclass(frozen=True)
class SignificanceRates:
    metric: str
    discrimination: float
    robustness: float
    auc: float
    n_significant: int
    n_harmless: int
    by_kind: dict[str, float] = field(default_factory=dict)
    unscored: int = 0
    tolerance: float = DEFAULT_TOLERANCE
    margin: float = 0.0

    @property
    def balance(self) -> float:
        d, r = self.discrimination, self.robustness
        return 2 * d * r / (d + r) if d + r > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {"metric": self.metric, "discrimination": self.discrimination,
                "robustness": self.robustness, "balance": self.balance, "auc": self.auc,
                "n_significant": self.n_significant, "n_harmless": self.n_harmless,
                "unscored": self.unscored, "tolerance": self.tolerance, "margin": self.margin,
                "by_kind": self.by_kind}


def _auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """AUC of ``positive`` above ``negative`` (Mann-Whitney; ties count half)."""
    import numpy as np

    if not len(positive) or not len(negative):
        return float("nan")
    metrics = require("sklearn.metrics", extra="significance", needed_by="the AUC of a metric")
    truth = np.concatenate([np.ones(len(positive)), np.zeros(len(negative))])
    return float(metrics.roc_auc_score(truth, np.concatenate([positive, negative])))


def discrimination_robustness(
    pairs: Sequence[Pair],
    *,
    identity: Sequence[float] | np.ndarray,
    variant: Sequence[float] | np.ndarray,
    tolerance: float = DEFAULT_TOLERANCE,
    margin: float = 0.0,
    metric: str = "",
) -> SignificanceRates:
    """The rates above from per-pair scores (same order as ``pairs``)."""
    import numpy as np

    identity = np.asarray(identity, dtype=float)
    variant = np.asarray(variant, dtype=float)
    if not len(pairs) == len(identity) == len(variant):
        raise ValueError("pairs, identity and variant scores must be equally long")
    drop = identity - variant
    scored = ~np.isnan(drop)
    significant = np.array([pair.significant for pair in pairs], dtype=bool)
    penalised = drop > margin + EPSILON
    tolerated = np.abs(drop) <= tolerance + EPSILON
    kinds = np.array([pair.kind for pair in pairs])
    by_kind = {}
    for kind in dict.fromkeys(kinds.tolist()):
        mask = (kinds == kind) & scored
        if mask.any():
            hits = penalised if significant[kinds == kind][0] else tolerated
            by_kind[kind] = float(hits[mask].mean())
    errors, harmless = significant & scored, ~significant & scored
    return SignificanceRates(
        metric=metric,
        discrimination=float(penalised[errors].mean()) if errors.any() else float("nan"),
        robustness=float(tolerated[harmless].mean()) if harmless.any() else float("nan"),
        auc=_auc(drop[errors], drop[harmless]),
        n_significant=int(errors.sum()),
        n_harmless=int(harmless.sum()),
        by_kind=by_kind,
        unscored=int((~scored).sum()),
        tolerance=tolerance,
        margin=margin,
    )


def score_pairs(pairs: Sequence[Pair], *, metric: Metric, name: str | None = None) -> PairScores:
    """Score every variant against its reference and every distinct reference against itself."""
    import numpy as np

    started = time.perf_counter()
    references = [pair.reference for pair in pairs]
    variant = metric.compute(predictions=[pair.variant for pair in pairs],
                             references=references).sample_scores
    distinct = list(dict.fromkeys(references))
    ceiling = metric.compute(predictions=distinct, references=distinct).sample_scores
    by_text = dict(zip(distinct, np.asarray(ceiling, dtype=float), strict=True))
    usage = metric.usage_
    return PairScores(
        metric=name or metric.name,
        identity=np.array([by_text[text] for text in references], dtype=float),
        variant=np.asarray(variant, dtype=float),
        seconds=time.perf_counter() - started,
        usage=usage.__dict__ if usage is not None else None,
    )


@dataclass
class SignificanceEvaluation:
    pairs: list[Pair]
    scores: dict[str, PairScores]
    rates: dict[str, SignificanceRates]

    def to_json(self) -> dict[str, Any]:
        return {name: {**rates.to_json(), "seconds": self.scores[name].seconds,
                       "usage": self.scores[name].usage}
                for name, rates in self.rates.items()}

    def write(self, folder: str | Path) -> list[Path]:
        """Write rates.json, scores.jsonl (per pair: each metric's identity and variant
        score) and tradeoff.png to ``folder``; return their paths."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        rates = folder / "rates.json"
        rates.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        scores = folder / "scores.jsonl"
        with scores.open("w", encoding="utf-8") as handle:
            for index, pair in enumerate(self.pairs):
                handle.write(json.dumps({"id": pair.id, "kind": pair.kind, **{
                    name: {"identity": float(s.identity[index]),
                           "variant": float(s.variant[index])}
                    for name, s in self.scores.items()}}) + "\n")
        return [rates, scores, plot_tradeoff(self.rates, folder / "tradeoff.png")]


def evaluate_pairs(
    pairs: Sequence[Pair],
    *,
    metrics: Mapping[str, Metric],
    tolerance: float = DEFAULT_TOLERANCE,
    margin: float = 0.0,
) -> SignificanceEvaluation:
    """Score the pairs with every metric and compute its rates."""
    pairs = list(pairs)
    scores: dict[str, PairScores] = {}
    rates: dict[str, SignificanceRates] = {}
    for name, metric in metrics.items():
        logger.info("scoring %d pairs with %s", len(pairs), name)
        scores[name] = score_pairs(pairs, metric=metric, name=name)
        rates[name] = discrimination_robustness(
            pairs, identity=scores[name].identity, variant=scores[name].variant,
            tolerance=tolerance, margin=margin, metric=name)
    return SignificanceEvaluation(pairs=pairs, scores=scores, rates=rates)


def plot_tradeoff(rates: Mapping[str, SignificanceRates], path: str | Path, *,
                  title: str = "") -> Path:
    """Discrimination against robustness, one point per metric, with iso-balance curves."""
    require("matplotlib", extra="metrics", needed_by="the discrimination / robustness plot")
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure = Figure(figsize=(6.4, 6.0))  # no pyplot: no global backend or figure state
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    grid = np.linspace(0.01, 1.0, 200)
    for level in (0.2, 0.4, 0.6, 0.8, 0.9):
        robustness = level * grid / (2 * grid - level)
        keep = (robustness > 0) & (robustness <= 1.0) & (2 * grid - level > 0)
        axes.plot(grid[keep], robustness[keep], color="0.85", linewidth=0.8, zorder=0)
        axes.annotate(f"balance {level:g}", (grid[keep][-1], robustness[keep][-1]),
                      fontsize=7, color="0.55", ha="right", va="bottom")
    for name, rate in rates.items():
        axes.scatter(rate.discrimination, rate.robustness, s=60, zorder=2)
        axes.annotate(f"{name} ({rate.balance:.2f})", (rate.discrimination, rate.robustness),
                      textcoords="offset points", xytext=(6, 4), fontsize=9)
    axes.set_xlim(-0.02, 1.05)
    axes.set_ylim(-0.02, 1.05)
    axes.set_xlabel("discrimination (share of significant errors penalised)")
    axes.set_ylabel("robustness (share of harmless variations tolerated)")
    tolerance = next(iter(rates.values())).tolerance if rates else DEFAULT_TOLERANCE
    axes.set_title(title or f"Clinical significance: discrimination vs robustness "
                            f"(tolerance {tolerance:g})", fontsize=10)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=130)
    return path


def build_metrics(
    names: Sequence[str],
    *,
    trained_model: str | Path | None = None,
    judge_options: Mapping[str, Any] | None = None,
    labelset: str | Path = "chestxray21",
) -> dict[str, Metric]:
    """Metric objects by name, all through the metrics registry (``radprompt.metrics``):
    ``trained`` (needs ``trained_model``), the LLM evaluators ``judge_one_pass`` /
    ``judge_two_pass`` and ``judge`` (``judge_options``: model, api_base, recipe,
    allow_remote ...), ``bleu``, ``rouge``, ``bertscore``, ``ranscore`` ... An unknown name
    raises naming the known ones."""
    from radprompt.metrics import build_metric

    metrics: dict[str, Metric] = {}
    for name in names:
        if name == "trained":
            if trained_model is None:
                raise ValueError("the trained metric needs a model: --model out/model.joblib "
                                 "(from 'radprompt significance train')")
            metrics[name] = build_metric(name, model=trained_model)
        else:
            metrics[name] = build_metric(
                name, shared={"labelset": labelset, **dict(judge_options or {})})
    return metrics
