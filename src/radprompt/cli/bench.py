"""``radprompt bench ...``: throughput measurements."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radprompt.cli import app
from radprompt.cli._common import LabelsetOption, console, handles_errors
from radprompt.errors import InputError
from radprompt.labelset import load_labelset
from radprompt.pipeline import bench_rules
from radprompt.reports import read_dataset
from radprompt.resources import find_resource, shared_data_dir

bench_app = typer.Typer(help="Measure speed.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")


@bench_app.command("rules")
@handles_errors
def bench_rules_command(
    input: Annotated[
        Path | None,
        typer.Option("--input", "-i", help="Reports to time; default: the IU reports in "
                     "../shared/data when present, else the demo corpus repeated."),
    ] = None,
    labelset: LabelsetOption = "chestxray21",
    min_reports: Annotated[
        int, typer.Option(help="Repeat the corpus until it has at least this many reports.")
    ] = 5000,
    repeat: Annotated[int, typer.Option(help="Timed passes; the best is reported.")] = 3,
) -> None:
    """Print the rule engine's throughput in reports per second on one core.

    Example: [bold]radprompt bench rules[/]
    """
    labels = load_labelset(labelset)
    if input is None:
        shared = shared_data_dir()
        iu = shared / "iu-openi" / "indiana_reports.csv" if shared else None
        input = iu if iu is not None and iu.is_file() else find_resource(
            "experiments", "demo/train.jsonl", suffix=".jsonl")
    reports = read_dataset(input, labelset=labels).reports
    if not reports:
        raise InputError(input, "no usable reports to time")
    corpus = reports * max(1, -(-min_reports // len(reports)))
    result = bench_rules(corpus, labelset=labels, repeat=repeat, source=str(input))
    console.print(
        f"rule engine: {result.reports} reports from {result.source} "
        f"({len(reports)} distinct) in {result.seconds:.3f} s on one core = "
        f"[bold]{result.reports_per_second:,.0f} reports/s[/] (best of {repeat})"
    )
