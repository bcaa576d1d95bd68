"""``radprompt evaluate --human-preferences FILE``: each metric's agreement with raters."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from rich.table import Table

from radprompt.cli._common import console, err_console
from radprompt.errors import InputError
from radprompt.evaluation.composite import fit_composite as fit
from radprompt.evaluation.human import (
    HumanPreferences,
    evaluate_human_agreement,
    read_human_preferences,
)
from radprompt.evaluation.inputs import read_texts
from radprompt.labelset import LabelSet

COMPOSITE_COMPONENTS = ("clinscore.score", "bleu.bleu4", "meteor.meteor")


def _with_texts(prefs: HumanPreferences, *, references: Path | None,
                systems: dict[str, Path], labelset: LabelSet) -> HumanPreferences:
    if prefs.references is not None and not systems:
        return prefs
    if references is None or not systems:
        raise InputError("--human-preferences", "these ratings carry no report texts: give "
                         "--references and --generated SYSTEM=FILE for every rated system")
    missing = sorted(set(prefs.systems) - set(systems))
    if missing:
        raise InputError("--generated", f"rated system(s) {missing} have no --generated file")
    refs, _ = read_texts(references, labelset=labelset)
    texts = {name: read_texts(path, labelset=labelset)[0] for name, path in systems.items()}
    return prefs.with_texts(references=refs, texts=texts)


def human_preferences_command(
    path: Path, *, references: Path | None, systems: dict[str, Path], metrics: list[str],
    labelset: LabelSet, extractor: Any, options: dict[str, dict[str, Any]], resamples: int,
    confidence: float, seed: int, output_dir: Path | None, fit_composite: Path | None,
    as_json: bool,
) -> None:
    prefs = _with_texts(read_human_preferences(path), references=references, systems=systems,
                        labelset=labelset)
    if fit_composite is not None:
        metrics = list(dict.fromkeys([*metrics, *(c.split(".")[0]
                                                  for c in COMPOSITE_COMPONENTS)]))
    err_console.print(f"{len(prefs.ids)} cases, {len(prefs.ratings)} rated reports; "
                      f"metrics: {', '.join(metrics)}")
    started = time.perf_counter()
    agreement = evaluate_human_agreement(
        prefs, metrics=metrics, labelset=labelset, extractor=extractor,
        metric_options=options, n_resamples=resamples, confidence=confidence, seed=seed)
    err_console.print(f"scored in {time.perf_counter() - started:.1f} s")
    folder = output_dir or Path("runs") / time.strftime("human-agreement-%Y%m%d-%H%M%S")
    written = agreement.write(folder)
    table = agreement.table
    if as_json:
        sys.stdout.write(table.to_json(orient="index", indent=2) + "\n")
    else:
        level = round(confidence * 100)
        shown = Table(title=f"agreement with raters: {table.attrs['cases']} cases, pairs whose "
                      f"mean ratings differ [{level}% bootstrap CI over cases]")
        for column in ("metric", "agreement", "CI", "pairs", "ties", "Kendall tau-b"):
            shown.add_column(column, justify="left" if column == "metric" else "right")
        for name, row in table.iterrows():
            shown.add_row(str(name), f"{row['agreement']:.3f}",
                          f"[{row['low']:.3f}, {row['high']:.3f}]", str(int(row["pairs"])),
                          str(int(row["ties"])), f"{row['kendall_tau_b']:.3f}")
        console.print(shown)
    if fit_composite is not None:
        result = fit(prefs, scores=agreement.columns, components=list(COMPOSITE_COMPONENTS),
                     seed=seed, fitted_on=f"{path.name}: {len(prefs.ids)} cases")
        result.save(fit_composite)
        console.print("composite = " + " + ".join(
            f"{value:.4f} * {key}" for key, value in result.coefficients.items()))
        console.print(f"cross-validated agreement ({result.folds} folds by case): "
                      f"{result.cv_agreement:.3f} (in-sample {result.train_agreement:.3f}); "
                      f"saved to {fit_composite}", highlight=False)
    err_console.print(f"wrote {', '.join(p.name for p in written)} to {folder}")
