"""Plots of an evaluation (matplotlib's object API with the Agg canvas; no pyplot state).

``plot_systems``: one panel per metric, a bar per system with its confidence interval.
``plot_labels``: per-label F1 of the finding-based metric, one bar per system and label.
``plot_human_agreement``: metrics ranked by their pairwise agreement with raters.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from radprompt.metrics.base import require

if TYPE_CHECKING:
    import pandas as pd

    from radprompt.evaluation.core import Evaluation

__all__ = ["plot_human_agreement", "plot_labels", "plot_systems"]


def _figure(width: float, height: float) -> Any:
    require("matplotlib", extra="metrics", needed_by="the evaluation plots")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height))
    FigureCanvasAgg(figure)
    return figure


def _colours() -> tuple[Any, ...]:
    import matplotlib

    palette = matplotlib.colormaps["tab10"]
    return tuple(palette(i) for i in range(palette.N))


def plot_systems(evaluation: Evaluation, path: str | Path) -> Path:
    """One horizontal bar chart per metric (primary score, CI whiskers); returns ``path``."""
    import math

    systems, metrics = evaluation.systems, evaluation.metrics
    columns = min(3, len(metrics))
    rows = math.ceil(len(metrics) / columns)
    height = max(1.6, 0.45 * len(systems) + 1.0)
    figure = _figure(4.6 * columns, height * rows)
    axes = figure.subplots(rows, columns, squeeze=False)
    colours = _colours()
    summary = evaluation.summary
    for index, metric in enumerate(metrics):
        axis = axes[index // columns][index % columns]
        result = evaluation.result(systems[0], metric)
        column = f"{metric}.{result.primary}"
        values = summary[column].to_numpy(dtype=float)
        # a percentile interval need not contain the corpus score (macro-F1 of a resample is
        # not centred on it); error bars cannot be negative, so clip at the score
        low = (values - summary[f"{column}.low"].to_numpy(dtype=float)).clip(min=0)
        high = (summary[f"{column}.high"].to_numpy(dtype=float) - values).clip(min=0)
        positions = range(len(systems))
        axis.barh(list(positions), values, xerr=[low, high], capsize=3,
                  color=[colours[i % len(colours)] for i in positions])
        axis.set_yticks(list(positions), systems)
        axis.invert_yaxis()
        direction = {True: "higher is better", False: "lower is better",
                     None: "descriptive"}[result.higher_is_better]
        axis.set_title(f"{metric}: {result.primary}\n({direction})", fontsize=9)
        axis.tick_params(labelsize=8)
        upper = summary[f"{column}.high"].to_numpy(dtype=float)
        for position, value, end in zip(positions, values, upper, strict=True):
            anchor = max(value, end) if end == end else value  # NaN-safe
            axis.annotate(f"{value:.3f}", (anchor, position), xytext=(4, 0),
                          textcoords="offset points", va="center", fontsize=7)
        axis.margins(x=0.18)
    for index in range(len(metrics), rows * columns):
        axes[index // columns][index % columns].axis("off")
    level = round(evaluation.confidence * 100)
    figure.suptitle(f"{len(evaluation.paired.ids)} reports; bars are corpus scores with "
                    f"{level}% bootstrap intervals", fontsize=9)
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path


def plot_labels(evaluation: Evaluation, path: str | Path) -> Path:
    """Per-label F1 of ranscore (or clinical), grouped by label; returns ``path``."""
    table = evaluation.per_label
    table = table[table["f1"].notna()]  # ClinScore's per-label rows count findings instead
    metric = "ranscore" if "ranscore" in set(table["metric"]) else str(table["metric"].iloc[0])
    table = table[table["metric"] == metric]
    labels = list(dict.fromkeys(table["label"]))
    systems = evaluation.systems
    width = 0.8 / max(1, len(systems))
    figure = _figure(min(16.0, max(8.0, 0.12 * len(labels) * (len(systems) + 1))), 5.0)
    axis = figure.subplots()
    colours = _colours()
    for offset, system in enumerate(systems):
        rows = table[table["system"] == system].set_index("label")
        values = [float(rows.loc[label, "f1"]) if label in rows.index else 0.0
                  for label in labels]
        axis.bar([i + offset * width - 0.4 + width / 2 for i in range(len(labels))], values,
                 width=width, label=system, color=colours[offset % len(colours)])
    support = table.groupby("label")["support"].max()
    for index, label in enumerate(labels):
        if int(support.get(label, 0)) == 0:  # F1 0 by definition, not a miss
            axis.text(index, 0.02, "no positives", rotation=90, ha="center", va="bottom",
                      fontsize=6, color="#777777")
    names = getattr(evaluation, "label_names", None) or {}
    axis.set_xticks(range(len(labels)),
                    [f"{names.get(label, label)} ({int(support.get(label, 0))})"
                     for label in labels],
                    rotation=60, ha="right", fontsize=7)
    axis.set_ylim(0, 1.05)
    axis.set_ylabel("F1")
    axis.set_title(f"{metric}: per-label F1 (reference positives in brackets; a label with "
                   "no positives has F1 0 by definition)", fontsize=9)
    axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path


def plot_human_agreement(table: pd.DataFrame, path: str | Path) -> Path:
    """Metrics ranked by pairwise agreement with the raters, with bootstrap intervals and
    Kendall's tau-b beside each bar."""
    ordered = table.sort_values("agreement")
    figure = _figure(7.0, 0.45 * len(ordered) + 1.4)
    axes = figure.add_subplot(1, 1, 1)
    positions = list(range(len(ordered)))
    values = ordered["agreement"].to_numpy()
    errors = [(values - ordered["low"].to_numpy()).clip(min=0),
              (ordered["high"].to_numpy() - values).clip(min=0)]
    axes.barh(positions, values, xerr=errors, color=_colours()[0], capsize=3)
    axes.set_yticks(positions, list(ordered.index))
    for y, (value, tau) in enumerate(zip(values, ordered["kendall_tau_b"], strict=True)):
        axes.text(0.01, y, f"{value:.3f}  (tau-b {tau:.2f})", va="center", color="white",
                  fontsize=8)
    axes.set_xlim(0, 1)
    axes.set_xlabel(f"pairwise agreement with raters ({table.attrs.get('cases', '?')} cases)")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=120)
    return path
