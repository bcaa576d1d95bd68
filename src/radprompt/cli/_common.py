"""What every CLI verb shares: consoles, error handling, progress bars, problem listings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from radprompt.errors import RadpromptError, RowError
from radprompt.extractors.base import ExtractionFailure

# Tables are wide; when output goes to a file or pipe, do not squeeze them into 80 columns.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, soft_wrap=True)

EXIT_PROBLEMS = 1
EXIT_INPUT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

LLM_PANEL = "LLM options"

ApiBaseOption = Annotated[
    str | None,
    typer.Option("--api-base", rich_help_panel=LLM_PANEL,
                 help="Server URL, e.g. http://127.0.0.1:8000/v1 for vllm serve."),
]
AllowRemoteOption = Annotated[
    bool,
    typer.Option("--allow-remote", rich_help_panel=LLM_PANEL, help="Allow sending reports to a "
                 "provider that is not on this machine (they may hold patient data)."),
]
ModeOption = Annotated[
    str | None,
    typer.Option("--mode", rich_help_panel=LLM_PANEL,
                 help="all: one request per report; label: one per label and report."),
]
ConcurrencyOption = Annotated[
    int | None, typer.Option("--concurrency", "-j", rich_help_panel=LLM_PANEL,
                             help="Requests in flight at once.")
]

NoStructuredOutputOption = Annotated[
    bool,
    typer.Option("--no-structured-output", rich_help_panel=LLM_PANEL,
                 help="Do not send the answer's JSON Schema as response_format. By default "
                 "it is sent when the provider supports it (hosted_vllm/, servers on this "
                 "machine, LiteLLM's capability table)."),
]

LabelsetOption = Annotated[
    str, typer.Option("--labelset", "-l", help="Labelset name (chestxray21) or YAML path.")
]


def handles_errors(command: F) -> F:
    """Turn radprompt's own errors into one red line and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RadpromptError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
            raise typer.Exit(EXIT_INPUT_ERROR) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar with count, elapsed time and ETA; yields an ``advance(n)`` callback."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err_console, transient=False) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n: progress.advance(task, n)


def print_problems(problems: Sequence[RowError | ExtractionFailure], limit: int = 20) -> None:
    err_console.print(f"[yellow]{len(problems)} report(s) could not be used:[/]")
    for problem in problems[:limit]:
        if isinstance(problem, ExtractionFailure):
            err_console.print(f"  {problem.report_id}: extraction failed: {problem.reason}",
                              highlight=False, markup=False)
        else:
            err_console.print(f"  {problem}", highlight=False, markup=False)
    if len(problems) > limit:
        err_console.print(f"  ... and {len(problems) - limit} more")
