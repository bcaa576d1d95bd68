"""``radprompt runs list|show``, and the transfer report shared with ``optimize``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import console, handles_errors
from radprompt.runs import Manifest, Run, list_runs

runs_app = typer.Typer(help="List and inspect optimize runs.", no_args_is_help=True)
app.add_typer(runs_app, name="runs")

RunsDirOption = Annotated[Path, typer.Option("--runs-dir", help="Where run directories live.")]


def render_transfer(manifest: Manifest) -> None:
    """Initial vs final macro-F1 per split and gold source, and the guard examples."""
    transfer = manifest.transfer
    if not transfer:
        return
    table = Table(title="transfer: macro-F1, initial -> final, per split and gold source")
    for column in ("split", "gold", "role", "initial", "final", "Δ"):
        table.add_column(column, justify="right" if column in ("initial", "final", "Δ")
                         else "left")
    for split, row in transfer["macro_f1"].items():
        for gold, values in row.items():
            delta = values["final"] - values["initial"]
            colour = "green" if delta > 5e-4 else "red" if delta < -5e-4 else ""
            table.add_row(split, escape(gold),
                          "target" if gold == transfer["target"] else "guard",
                          f"{values['initial']:.4f}", f"{values['final']:.4f}",
                          f"[{colour}]{delta:+.4f}[/]" if colour else f"{delta:+.4f}")
    console.print(table)
    examples = transfer.get("guard_examples") or {}
    if examples:
        first, last = examples["initial"], examples["final"]
        console.print(f"guard examples passed: {first['passed']}/{first['total']} -> "
                      f"[bold]{last['passed']}/{last['total']}[/]", highlight=False)
        for failure in examples.get("failures", [])[:10]:
            console.print(f"  fails: {escape(failure['label_id'])}: "
                          f"{escape(failure['text'])!r} expected {failure['expected']}, "
                          f"got {failure['got']}", highlight=False)
    for step in transfer.get("skipped", []):
        console.print(f"not scored: {escape(step)}", highlight=False)


@runs_app.command("list")
@handles_errors
def runs_list(runs_dir: RunsDirOption = Path("runs")) -> None:
    """List optimize runs with their status and macro-F1.

    Example: [bold]radprompt runs list[/]
    """
    table = Table(title=f"runs in {runs_dir}")
    for column in ("run", "status", "rounds", "proposals", "pending", "test macro-F1"):
        table.add_column(column)
    for run in list_runs(runs_dir):
        manifest = run.manifest
        test = ""
        if manifest.test_macro_f1_initial is not None and manifest.test_macro_f1_final is not None:
            test = (f"{manifest.test_macro_f1_initial:.3f} -> "
                    f"{manifest.test_macro_f1_final:.3f}")
        table.add_row(escape(run.path.name), run.shown_status, str(len(run.rounds())),
                      str(len(run.proposals())), str(len(run.pending())), test)
    console.print(table)


@runs_app.command("show")
@handles_errors
def runs_show(run: Annotated[Path, typer.Argument(help="Run directory (or its name).")]) -> None:
    """Show a run: configuration, rounds, proposals and their decisions, the transfer report.

    Example: [bold]radprompt runs show runs/20261123-101500-chestxray21-rules[/]
    """
    opened = Run.open(run)
    manifest = opened.manifest
    console.print(f"[bold]{escape(opened.path.name)}[/]  status: {opened.shown_status}"
                  + (f" — {escape(manifest.reason)}" if manifest.reason else ""))
    if holder := opened.holder():
        console.print(f"in use by process {holder.get('pid')} on {holder.get('host')} since "
                      f"{holder.get('since')}", highlight=False)
    console.print("config: " + escape(", ".join(f"{k}={v}" for k, v in
                                                manifest.config.items())), highlight=False)
    table = Table(title="rounds")
    for column in ("round", "dev macro-F1", "train macro-F1", "trials", "rejected", "proposal",
                   "decision"):
        table.add_column(column)
    statuses = opened.statuses()
    for record in opened.rounds():
        proposal_id = record.proposal or "-"
        status = statuses.get(proposal_id, "pending") if record.proposal else "-"
        table.add_row(str(record.round),
                      f"{record.dev_macro_f1_before:.4f} -> {record.dev_macro_f1:.4f}",
                      f"{record.train_macro_f1:.4f}", str(record.trials),
                      str(record.rejected), proposal_id, status)
    console.print(table)
    for proposal in opened.proposals():
        classes = [change.change_class for change in proposal.changes]
        if classes:
            counts = ", ".join(f"{classes.count(c)} {c}" for c in dict.fromkeys(classes))
            console.print(f"  {proposal.id}: {counts}", highlight=False)
    for decision in opened.decisions():
        console.print(escape(f"  {decision.time} {decision.proposal_id}: {decision.decision} by "
                      f"{decision.reviewer}" + (" (automatic)" if decision.automatic else "")
                      + (f" — {decision.comment}" if decision.comment else "")),
                      highlight=False)
    if manifest.test_macro_f1_initial is not None and manifest.test_macro_f1_final is not None:
        console.print(f"test macro-F1: {manifest.test_macro_f1_initial:.4f} -> "
                      f"{manifest.test_macro_f1_final:.4f}")
    render_transfer(manifest)
    plot = opened.path / "plots" / "transfer.png"
    if plot.is_file():
        console.print(f"transfer plot: {plot}", highlight=False)
    console.print(f"current version: {opened.version_path(str(manifest.current_version))}")
    console.print(f"Optuna study: optuna-dashboard {opened.study_storage}")
