"""Evaluate generated reports: every metric on every system, with intervals, tests and a ranking.

Example::

    >>> from radprompt.evaluation import evaluate
    >>> table = evaluate(
    ...     references=["No pleural effusion.", "Mild cardiomegaly."],
    ...     generated={"a": ["No pleural effusion.", "Mild cardiomegaly."],
    ...                "b": ["Small pleural effusion.", "Normal heart size."]},
    ...     metrics=["rouge", "ranscore"], n_resamples=100)
    >>> list(table.index)
    ['a', 'b']
    >>> float(table.loc["a", "rouge.rougeL"])
    1.0
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from radprompt.errors import RowError
from radprompt.evaluation.inputs import PairedReports, TextSource, pair_reports
from radprompt.evaluation.resampling import (
    approximate_randomization_p,
    bootstrap,
    confidence_interval,
    holm,
    paired_bootstrap_p,
)
from radprompt.extractors.base import Extractor
from radprompt.labelset import LabelSet
from radprompt.metrics import DEFAULT_METRICS, METRICS, build_metric, metric_class
from radprompt.metrics._findings import CachingExtractor, resolve_extractor, resolve_labelset
from radprompt.metrics.base import MetricResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Evaluation", "evaluate", "evaluate_reports"]

logger = logging.getLogger(__name__)

SignificanceTest = Literal["paired-bootstrap", "randomization"]
MetricProgress = Callable[[str, str, float], None]
"""Called with (system, metric, seconds) after each metric finishes on each system."""


@dataclass
class Evaluation:
    """Everything an evaluation found; ``summary`` is what ``evaluate`` returns."""

    paired: PairedReports
    results: dict[tuple[str, str], MetricResult]
    draws: dict[tuple[str, str], dict[str, Any]]
    significance: pd.DataFrame
    confidence: float
    test: SignificanceTest
    seconds: dict[str, float] = field(default_factory=dict)
    label_names: dict[str, str] = field(default_factory=dict)
    """Display name of each label id (plots use them)."""

    @property
    def systems(self) -> list[str]:
        return list(self.paired.generated)

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(metric for _, metric in self.results))

    @property
    def problems(self) -> list[RowError]:
        return self.paired.problems

    @property
    def notes(self) -> list[str]:
        notes: dict[str, None] = {}
        for (_, metric), result in self.results.items():
            for note in result.notes:
                notes[f"{metric}: {note}"] = None
        return list(notes)

    def result(self, system: str, metric: str) -> MetricResult:
        return self.results[(system, metric)]

    @property
    def summary(self) -> pd.DataFrame:
        """One row per system; per metric score a column with its CI bounds beside it.

        Columns are ``<metric>.<score>``, ``<metric>.<score>.low`` and ``.high``; each
        metric's primary score comes first.
        """
        import pandas as pd

        rows: dict[str, dict[str, float]] = {}
        for system in self.systems:
            row: dict[str, float] = {}
            for metric in self.metrics:
                result = self.results[(system, metric)]
                for name in _ordered_scores(result):
                    column = f"{metric}.{name}"
                    row[column] = result.scores[name]
                    draws = self.draws[(system, metric)].get(name)
                    low, high = (confidence_interval(draws, level=self.confidence)
                                 if draws is not None else (float("nan"), float("nan")))
                    row[f"{column}.low"], row[f"{column}.high"] = low, high
            rows[system] = row
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "system"
        table.attrs["confidence"] = self.confidence
        table.attrs["n_reports"] = len(self.paired.ids)
        return table

    @property
    def per_sample(self) -> pd.DataFrame:
        """One row per (system, report id): every per-sample score, plus both texts."""
        import pandas as pd

        frames = []
        for system in self.systems:
            columns: dict[str, Any] = {"system": system, "id": self.paired.ids}
            for metric in self.metrics:
                result = self.results[(system, metric)]
                for name, values in {**result.per_sample, **result.texts}.items():
                    columns[f"{metric}.{name}"] = values
            columns["reference"] = self.paired.references
            columns["generated"] = self.paired.generated[system]
            frames.append(pd.DataFrame(columns))
        return pd.concat(frames, ignore_index=True)

    @property
    def per_label(self) -> pd.DataFrame:
        """Per-label scores of the finding-based metrics, one row per (system, metric, label)."""
        import pandas as pd

        rows = []
        for (system, metric), result in self.results.items():
            for label, scores in (result.per_label or {}).items():
                rows.append({"system": system, "metric": metric, "label": label, **scores})
        return pd.DataFrame(rows)

    @property
    def ranking(self) -> pd.DataFrame:
        """Systems ranked per metric by its primary score, with the test against the next one."""
        import pandas as pd

        rows = []
        for metric in self.metrics:
            first = self.results[(self.systems[0], metric)]
            if first.higher_is_better is None:
                continue
            ordered = sorted(self.systems, key=lambda s: self.results[(s, metric)].value,
                             reverse=first.higher_is_better)
            for rank, system in enumerate(ordered, start=1):
                following = ordered[rank] if rank < len(ordered) else None
                p_next = self._p_value(metric, system, following) if following else float("nan")
                rows.append({
                    "metric": metric, "score": first.primary, "rank": rank, "system": system,
                    "value": self.results[(system, metric)].value,
                    "next": following, "p_vs_next": p_next,
                })
        return pd.DataFrame(rows)

    def _p_value(self, metric: str, first: str, second: str) -> float:
        table = self.significance
        if table.empty:
            return float("nan")
        match = table[(table["metric"] == metric)
                      & (((table["system_a"] == first) & (table["system_b"] == second))
                         | ((table["system_a"] == second) & (table["system_b"] == first)))]
        return float(match["p_value"].iloc[0]) if len(match) else float("nan")

    def write(self, output_dir: str | Path, *, plots: bool = True) -> list[Path]:
        """Write summary, per-sample, per-label, significance and ranking CSVs (and plots)."""
        from radprompt.evaluation.plots import plot_labels, plot_systems

        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table, index in (
            ("summary.csv", self.summary, True),
            ("per_sample.csv", self.per_sample, False),
            ("per_label.csv", self.per_label, False),
            ("significance.csv", self.significance, False),
            ("ranking.csv", self.ranking, False),
        ):
            path = folder / name
            table.to_csv(path, index=index)
            written.append(path)
        if plots:
            written.append(plot_systems(self, folder / "systems.png"))
            per_label = self.per_label
            if "f1" in per_label and per_label["f1"].notna().any():
                written.append(plot_labels(self, folder / "labels.png"))
        return written


def _ordered_scores(result: MetricResult) -> list[str]:
    return [result.primary, *(name for name in result.scores if name != result.primary)]


def evaluate_reports(
    *,
    references: TextSource,
    generated: Mapping[str, TextSource],
    metrics: Sequence[str] = DEFAULT_METRICS,
    labelset: LabelSet | str | Path = "chestxray21",
    extractor: Extractor | str | Path = "rules",
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    test: SignificanceTest = "paired-bootstrap",
    seed: int = 0,
    progress: MetricProgress | None = None,
) -> Evaluation:
    """Score every system against the references with every metric (see ``evaluate``)."""
    unknown = [name for name in metrics if name not in METRICS]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    if test not in ("paired-bootstrap", "randomization"):
        raise ValueError(f"unknown test {test!r}; use paired-bootstrap or randomization")
    labels = resolve_labelset(labelset)
    paired = pair_reports(references=references, generated=generated, labelset=labels)
    for system, missing in paired.dropped.items():
        logger.warning("system %s has no report for %d reference id(s); they are left out",
                       system, len(missing))
    shared: dict[str, Any] = {"labelset": labels}
    if any(metric_class(name).needs_extractor for name in metrics):
        shared["extractor"] = CachingExtractor(resolve_extractor(extractor, labelset=labels))
    results: dict[tuple[str, str], MetricResult] = {}
    seconds: dict[str, float] = {}
    # a composite runs after the metrics it combines and reuses their results
    for name in sorted(metrics, key=lambda name: name == "composite"):
        metric = build_metric(name, shared=shared, **dict((metric_options or {}).get(name, {})))
        for system, texts in paired.generated.items():
            started = time.perf_counter()
            reuse: dict[str, Any] = {}
            if name == "composite":
                reuse["computed"] = {m: r for (s, m), r in results.items() if s == system}
            if paired.contexts is not None:  # Metric.compute gives them to those that read them
                reuse["contexts"] = paired.contexts
            results[(system, name)] = metric.compute(predictions=texts,
                                                     references=paired.references, **reuse)
            elapsed = time.perf_counter() - started
            seconds[name] = seconds.get(name, 0.0) + elapsed
            logger.info("%s on %s: %.2f s", name, system, elapsed)
            if progress is not None:
                progress(system, name, elapsed)
    results = {(system, name): results[(system, name)] for name in metrics
               for system in paired.generated}
    draws = bootstrap(results, n_resamples=n_resamples, seed=seed)
    significance = _significance(results, draws, systems=list(paired.generated),
                                 metrics=list(metrics), test=test, n_resamples=n_resamples,
                                 seed=seed)
    return Evaluation(paired=paired, results=results, draws=draws, significance=significance,
                      confidence=confidence, test=test, seconds=seconds,
                      label_names={label.id: label.name for label in labels.labels})


def _significance(
    results: Mapping[tuple[str, str], MetricResult],
    draws: Mapping[tuple[str, str], Mapping[str, Any]],
    *,
    systems: list[str],
    metrics: list[str],
    test: SignificanceTest,
    n_resamples: int,
    seed: int,
) -> pd.DataFrame:
    import pandas as pd

    rows = []
    for metric in metrics:
        pairs = list(combinations(systems, 2))
        p_values = []
        for first, second in pairs:
            a, b = results[(first, metric)], results[(second, metric)]
            if test == "randomization":
                p = approximate_randomization_p(a, b, n_rounds=n_resamples, seed=seed)
            else:
                draws_a = draws[(first, metric)].get(a.primary)
                draws_b = draws[(second, metric)].get(b.primary)
                p = (paired_bootstrap_p(draws_a, draws_b)
                     if draws_a is not None and draws_b is not None else float("nan"))
            p_values.append(p)
            rows.append({"metric": metric, "score": a.primary, "system_a": first,
                         "system_b": second, "value_a": a.value, "value_b": b.value,
                         "delta": a.value - b.value, "test": test, "p_value": p})
        for row, adjusted in zip(rows[len(rows) - len(pairs):], holm(p_values), strict=True):
            row["p_holm"] = adjusted
    columns = ["metric", "score", "system_a", "system_b", "value_a", "value_b", "delta", "test",
               "p_value", "p_holm"]
    return pd.DataFrame(rows, columns=columns)


def evaluate(
    *,
    references: TextSource,
    generated: Mapping[str, TextSource],
    output_dir: str | Path | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Evaluate generated reports against references; one row per system.

    ``references`` and each of ``generated`` (system name -> source) are files (JSONL / CSV
    with id and text, or ``.txt`` with one report per line), lists of texts or id -> text
    mappings; reports pair up by id. ``metrics`` are names from ``radprompt.metrics.METRICS``;
    ``labelset`` and ``extractor`` (a recipe name or an ``Extractor``) serve the finding-based
    metrics; ``metric_options`` passes constructor options per metric (``{"rouge":
    {"use_stemmer": True}}``). Confidence intervals are percentile bootstrap intervals over
    ``n_resamples`` resamples of the reports; systems are compared pairwise with ``test``
    (paired bootstrap or approximate randomization). With ``output_dir``, the summary,
    per-sample, per-label, significance and ranking CSVs and the plots are written there.
    The returned table's columns are ``<metric>.<score>`` with ``.low`` / ``.high`` bounds.
    ``settings`` are those of ``evaluate_reports`` (metrics, labelset, extractor,
    metric_options, n_resamples, confidence, test, seed); an unknown one raises.
    """
    evaluation = evaluate_reports(references=references, generated=generated, **settings)
    if output_dir is not None:
        evaluation.write(output_dir)
    return evaluation.summary
