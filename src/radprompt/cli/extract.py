"""``radprompt extract``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from radprompt.cli import app
from radprompt.cli._common import (
    EXIT_PROBLEMS,
    LabelsetOption,
    err_console,
    handles_errors,
    print_problems,
    progress_bar,
)
from radprompt.errors import RowError
from radprompt.extractors.base import ExtractionFailure
from radprompt.labelset import load_labelset
from radprompt.pipeline import build_extractor, extract_dataset
from radprompt.reports import FORMATS, read_dataset, write_findings


@app.command()
@handles_errors
def extract(
    input: Annotated[Path, typer.Option("--input", "-i", help="Reports: CSV, JSONL or IU CSV.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Findings: .jsonl (with evidence) or .csv.")
    ],
    labelset: LabelsetOption = "chestxray21",
    extractor: Annotated[
        str, typer.Option("--extractor", "-e", help="Extractor recipe name or YAML path.")
    ] = "rules",
    input_format: Annotated[
        str, typer.Option("--format", help=f"Input format: {', '.join(FORMATS)}.")
    ] = "auto",
) -> None:
    """Extract per-label findings (present / absent / uncertain / not mentioned) from reports.

    Rows that cannot be used are listed (and written to OUTPUT.failed.jsonl); everything else
    is extracted and written. Exit code 1 when any row failed, 2 when the input is unusable.

    Example: [bold]radprompt extract --labelset chestxray21 --extractor rules
    --input experiments/demo/test.jsonl --output out/test.findings.jsonl[/]
    """
    labels = load_labelset(labelset)
    dataset = read_dataset(input, labelset=labels, format=input_format)
    engine = build_extractor(extractor, labelset=labels)
    with progress_bar("extracting", total=len(dataset.reports)) as advance:
        run = extract_dataset(dataset, extractor=engine, progress=advance)
    write_findings(output, run.findings, labelset=labels)
    err_console.print(f"wrote findings for {len(run.findings)} report(s) to {output}")
    failed: list[RowError | ExtractionFailure] = [*run.problems, *run.failures]
    if failed:
        failed_path = output.with_name(output.name + ".failed.jsonl")
        with failed_path.open("w", encoding="utf-8") as handle:
            for item in failed:
                handle.write(json.dumps(_failure_record(item)) + "\n")
        print_problems(failed)
        err_console.print(f"the list is in {failed_path}")
        raise typer.Exit(EXIT_PROBLEMS)


def _failure_record(item: RowError | ExtractionFailure) -> dict[str, Any]:
    if isinstance(item, ExtractionFailure):
        return {"id": item.report_id, "reason": item.reason, "raw_output": item.raw_output}
    return {"id": item.report_id, "row": item.row, "reason": item.problem}
