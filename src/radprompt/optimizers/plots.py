"""PNG plots of a run: per-label F1 before / after on test, macro-F1 by round."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from radprompt.errors import require
from radprompt.runs import RoundRecord, Run, ScoreSummary

__all__ = ["plot_run", "plot_transfer"]


class _Figures:
    """The two pyplot calls the plots use, on matplotlib's object API with the Agg canvas: no
    global backend switch (``matplotlib.use``) and no pyplot figure state."""

    def __init__(self) -> None:
        require("matplotlib", extra="optimize", needed_by="the run's plots")
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        self._figure, self._canvas = Figure, FigureCanvasAgg

    def subplots(self, *, figsize: tuple[float, float]) -> tuple[Any, Any]:
        figure = self._figure(figsize=figsize)
        self._canvas(figure)
        return figure, figure.subplots()

    def close(self, figure: Any) -> None:
        """Nothing to release: the figure is not registered anywhere."""


def _pyplot() -> Any:
    return _Figures()


def plot_transfer(transfer: Mapping[str, Any], path: Path, *, title: str) -> Path:
    """Initial vs final macro-F1 per split and gold source (target and guards), with the
    guard examples' pass count in the title."""
    plt = _pyplot()
    groups = [(split, gold, values) for split, row in transfer["macro_f1"].items()
              for gold, values in row.items()]
    figure, axes = plt.subplots(figsize=(max(6.0, 1.1 * len(groups) + 2), 4.5))
    positions = range(len(groups))
    initial = [values["initial"] for _, _, values in groups]
    final = [values["final"] for _, _, values in groups]
    axes.bar([p - 0.2 for p in positions], initial, width=0.4, label="initial", color="#b0b7c3")
    axes.bar([p + 0.2 for p in positions], final, width=0.4, label="final", color="#2b6cb0")
    for p, before, after in zip(positions, initial, final, strict=True):
        axes.annotate(f"{after - before:+.3f}", (p, max(before, after) + 0.01), ha="center",
                      fontsize=8)
    axes.set_xticks(list(positions), [
        f"{split}\n{gold}" + (" (target)" if gold == transfer["target"] else " (guard)")
        for split, gold, _ in groups], fontsize=8)
    axes.set_ylim(0, 1.08)
    axes.set_ylabel("macro-F1")
    examples = transfer.get("guard_examples", {})
    if examples:
        first, last = examples["initial"], examples["final"]
        title += (f"\nguard examples passed: {first['passed']}/{first['total']} -> "
                  f"{last['passed']}/{last['total']}")
    axes.set_title(title, fontsize=10)
    axes.legend(loc="lower right")
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _per_label(plt: Any, run: Run, initial: ScoreSummary, final: ScoreSummary) -> Path:
    before = {s.name: s.f1 for s in initial.labels}
    after = {s.name: s.f1 for s in final.labels}
    thresholds = {s.name: s.threshold for s in final.labels}
    names = list(before)
    figure, axes = plt.subplots(figsize=(10, 0.38 * len(names) + 1.5))
    positions = range(len(names))
    axes.barh([p + 0.2 for p in positions], [before[n] for n in names], height=0.4,
              label=f"initial (macro-F1 {initial.macro_f1:.3f})", color="#b0b7c3")
    axes.barh([p - 0.2 for p in positions], [after[n] for n in names], height=0.4,
              label=f"optimized (macro-F1 {final.macro_f1:.3f})", color="#2b6cb0")
    for p, name in zip(positions, names, strict=True):
        axes.plot([thresholds[name]] * 2, [p - 0.45, p + 0.45], color="#c53030", lw=1)
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()
    axes.set_xlim(0, 1.02)
    axes.set_xlabel("F1 on the held-out test split (red: threshold)")
    axes.set_title(f"Per-label F1 before / after — run {run.path.name}")
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, frameon=False)
    figure.tight_layout()
    path = run.path / "plots" / "per_label_f1.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _by_round(plt: Any, run: Run, rounds: list[RoundRecord]) -> Path:
    figure, axes = plt.subplots(figsize=(7, 4))
    xs = [0, *(r.round for r in rounds)]
    dev = [rounds[0].dev_macro_f1_before, *(r.dev_macro_f1 for r in rounds)]
    axes.plot(xs, dev, marker="o", label="dev macro-F1")
    train = [r.train_macro_f1 for r in rounds]
    axes.plot([r.round - 1 for r in rounds], train, marker="s", ls="--",
              label="train macro-F1 (start of round)")
    axes.set_xlabel("round")
    axes.set_ylabel("macro-F1")
    axes.set_xticks(xs)
    axes.grid(alpha=0.3)
    axes.legend()
    axes.set_title("Macro-F1 by round")
    figure.tight_layout()
    path = run.path / "plots" / "macro_f1_by_round.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_run(run: Run) -> list[Path]:
    """Write ``plots/per_label_f1.png``, ``plots/transfer.png`` and
    ``plots/macro_f1_by_round.png``; return the paths."""
    plt = _pyplot()
    manifest = run.manifest
    (run.path / "plots").mkdir(exist_ok=True)
    written = []
    if manifest.test_initial and manifest.test_final:
        written.append(_per_label(plt, run, manifest.test_initial, manifest.test_final))
    if manifest.transfer:
        written.append(plot_transfer(manifest.transfer, run.path / "plots" / "transfer.png",
                                     title=f"Transfer — run {run.path.name}"))
    rounds = run.rounds()
    if rounds:
        written.append(_by_round(plt, run, rounds))
    return written
