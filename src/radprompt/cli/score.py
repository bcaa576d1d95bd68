"""``radprompt score``."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import (
    EXIT_PROBLEMS,
    LabelsetOption,
    console,
    handles_errors,
    print_problems,
)
from radprompt.labelset import UncertaintyPolicy, load_labelset
from radprompt.pipeline import score_files
from radprompt.reports import FORMATS
from radprompt.scoring import ScoreReport, Verdict


@app.command("score")
@handles_errors
def score_command(
    predictions: Annotated[Path, typer.Option("--predictions", "-p", help="Findings file.")],
    reference: Annotated[
        Path, typer.Option("--reference", "-r", help="Reference labels (any readable format).")
    ],
    labelset: LabelsetOption = "chestxray21",
    reference_format: Annotated[
        str, typer.Option("--reference-format", help=f"One of {', '.join(FORMATS)}.")
    ] = "auto",
    uncertain_as: Annotated[
        UncertaintyPolicy | None,
        typer.Option("--uncertain-as", help="Count 'uncertain' as positive or negative for "
                     "every label (default: each label's uncertainty policy)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Score predicted findings against reference labels, per label and overall.

    Prints TP / FP / FN / TN, precision, recall, F1, specificity and support per label, the
    threshold verdict, CheXpert's mention / negation / uncertainty F1, and Ran Score's macro-F1
    (plain mean of per-label F1) and micro-F1. A NegBio gold or IU file is mapped onto the
    labelset, and only the labels it covers are scored.

    Example: [bold]radprompt score --labelset chestxray21 --predictions out/test.findings.jsonl
    --reference experiments/demo/test.jsonl[/]
    """
    labels = load_labelset(labelset)
    scored = score_files(
        predictions=predictions, references=reference, labelset=labels,
        reference_format=reference_format, uncertain_as=uncertain_as,
    )
    if as_json:
        sys.stdout.write(json.dumps(scored.report.to_json(), indent=2) + "\n")
    else:
        render_score(scored.report, title=f"{predictions} vs {reference}")
    if scored.problems:
        print_problems(scored.problems)
        raise typer.Exit(EXIT_PROBLEMS)


def render_score(report: ScoreReport, *, title: str) -> None:
    has_states = any(s.states is not None for s in report.labels)
    caption = None
    if has_states:
        caption = ("F1 is the binary view (present, and uncertain where the label's policy "
                   "counts it, vs the rest). CheXpert's 4-state view: mention F1 = the label "
                   "mentioned at all (present, uncertain or absent) vs not mentioned; neg. F1 "
                   "= read as absent vs any other state; unc. F1 = read as uncertain vs any "
                   "other state. A label can have F1 1.000 and a low mention F1 when the "
                   "extractor misses negated mentions.")
    table = Table(title=title, show_footer=False, caption=caption, caption_justify="left")
    columns = ["label", "support", "TP", "FP", "FN", "TN", "prec.", "recall", "F1",
               "spec.", "thr.", "verdict"]
    if has_states:
        columns += ["mention F1", "neg. F1", "unc. F1"]
    for column in columns:
        table.add_column(column, justify="left" if column in ("label", "verdict") else "right",
                         no_wrap=column == "label")
    colours = {Verdict.PASS: "green", Verdict.FAIL: "red", Verdict.INSUFFICIENT_SUPPORT: "yellow"}
    for s in report.labels:
        row = [s.name, str(s.support), str(s.tp), str(s.fp), str(s.fn), str(s.tn),
               f"{s.precision:.3f}", f"{s.recall:.3f}", f"{s.f1:.3f}", f"{s.specificity:.3f}",
               f"{s.threshold:.2f}", f"[{colours[s.verdict]}]{s.verdict.value}[/]"]
        if has_states:
            row += ["-", "-", "-"] if s.states is None else [
                f"{s.states.mention_f1:.3f}", f"{s.states.negation_f1:.3f}",
                f"{s.states.uncertainty_f1:.3f}"]
        table.add_row(*row)
    console.print(table)
    passed = sum(s.verdict is Verdict.PASS for s in report.labels)
    failed = sum(s.verdict is Verdict.FAIL for s in report.labels)
    supported = report.labels_with_support
    console.print(
        f"reports: {report.n_reports}   labels scored: {len(report.labels)}   "
        f"[bold]macro-F1 {report.macro_f1:.4f}[/] over all {len(report.labels)} labels "
        f"(Ran Score's definition)   macro-F1 {report.macro_f1_supported:.4f} over the "
        f"{supported} label(s) with reference positives   micro-F1 {report.micro_f1:.4f}   "
        f"pass {passed} / fail {failed} / insufficient support "
        f"{len(report.labels) - passed - failed}"
    )
    unsupported = [s.name for s in report.labels if s.support == 0]
    if unsupported:
        console.print(f"no reference positives (F1 0 by definition, counted in the first "
                      f"macro-F1): {', '.join(unsupported)}")
    if report.unscored_labels:
        console.print(f"not covered by the reference: {', '.join(report.unscored_labels)}")
    if report.missing_predictions:
        console.print(f"[yellow]{len(report.missing_predictions)} reference report(s) have no "
                      "prediction (scored as not mentioned)[/]")
    for note in report.notes:
        console.print(f"note: {note}")
