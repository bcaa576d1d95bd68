"""``radprompt bench ...``: throughput measurements."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer

from radprompt.cli import app
from radprompt.cli._common import LabelsetOption, console, err_console, handles_errors
from radprompt.errors import InputError
from radprompt.labelset import LabelSet, load_labelset
from radprompt.pipeline import bench_rules
from radprompt.reports import Report, iu_report_text, read_dataset
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
        int, typer.Option(help="Read the distinct reports again, cold (a new engine, nothing "
                          "remembered), until at least this many readings are timed.")
    ] = 5000,
    repeat: Annotated[int, typer.Option(help="Timed passes; the best is reported.")] = 3,
    text_column: Annotated[
        str | None, typer.Option(help="Read only this column (CSV) or key (JSONL) as the "
                                 "report text; no id or label columns needed.")
    ] = None,
) -> None:
    """Print the rule engine's throughput on one core, in reports per CPU-second and per
    wall second, for any labelset and any input with a text column (CSV, JSONL, IU).

    Example: [bold]radprompt bench rules[/]
    """
    labels = load_labelset(labelset)
    if input is None:
        shared = shared_data_dir()
        iu = shared / "iu-openi" / "indiana_reports.csv" if shared else None
        input = iu if iu is not None and iu.is_file() else find_resource(
            "experiments", "demo/train.jsonl", suffix=".jsonl")
    reports = (_texts(input, text_column) if text_column is not None
               else _reports(input, labels))
    if not reports:
        raise InputError(input, "no usable reports to time")
    distinct = len({report.text for report in reports})
    copies = max(1, -(-min_reports // distinct))
    err_console.print(f"timing the rule engine on {distinct:,} distinct reports from {input}"
                      f" ({copies} cold reading(s) each), best of {repeat} pass(es) ...",
                      highlight=False)
    result = bench_rules(reports, labelset=labels, repeat=repeat, source=str(input),
                         copies=copies)
    console.print(
        f"rule engine ({labels.name}): {result.reports} cold readings of the {distinct} "
        f"distinct reports of {result.source} ({len(reports)} rows; a repeated text is timed "
        f"once, each copy by a new engine with nothing remembered) in {result.seconds:.3f} s wall, "
        f"{result.cpu_seconds:.3f} s CPU on one core = "
        f"[bold]{result.reports_per_cpu_second:,.0f} reports per CPU-second[/], "
        f"{result.reports_per_second:,.0f} per wall second (best of {repeat}; wall time "
        "swings on a shared machine, CPU time much less)"
    )


def _reports(path: Path, labels: LabelSet) -> list[Report]:
    """The reports of ``path``; timing needs only their text, so a file whose labels belong to
    another labelset (the IU reports map onto chestxray21) is read for its text alone."""
    try:
        return read_dataset(path, labelset=labels).reports
    except InputError:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            if path.suffix.lower() in (".jsonl", ".ndjson"):
                first = next((line for line in handle if line.strip()), "{}")
                header = list(json.loads(first))
            else:
                header = next(csv.reader(handle), [])
        if {"findings", "impression"} <= set(header):
            return [Report(str(number), iu_report_text(row["findings"], row["impression"]))
                    for number, row in enumerate(_rows(path), 1)
                    if (row["findings"] or row["impression"]).strip()]
        for column in ("text", "report", "report_text"):
            if column in header:
                return _texts(path, column)
        raise


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _texts(path: Path, column: str) -> list[Report]:
    """Every non-empty ``column`` of a CSV or JSONL file, as reports numbered by row."""
    if not path.is_file():
        raise InputError(path, "file not found")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            rows: list[dict[str, object]] = [json.loads(line) for line in handle if line.strip()]
        else:
            rows = list(csv.DictReader(handle))
    if rows and column not in rows[0]:
        raise InputError(path, f"no column {column!r}; columns: {sorted(rows[0])}")
    return [Report(str(number), str(row[column])) for number, row in enumerate(rows, 1)
            if str(row.get(column) or "").strip()]
