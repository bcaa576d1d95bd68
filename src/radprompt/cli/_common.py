"""What every CLI verb shares: consoles, error handling, progress bars, problem listings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text

from radprompt.errors import RadpromptError, RowError
from radprompt.extractors.base import ExtractionFailure

# Tables are wide; when output goes to a file or pipe, do not squeeze them into 80 columns.
_CONTROL = {code: chr(0x2400 + code) for code in [*range(0x00, 0x09), *range(0x0b, 0x20)]}
_CONTROL.update({0x7F: "\u2421", **{code: "\ufffd" for code in range(0x80, 0xA0)}})


class SafeConsole(Console):
    """A rich console that never passes control characters from data to the terminal: text
    from report files, runs or answers is printed, its escape sequences are not obeyed."""

    def render_str(self, text: str, **kwargs: Any) -> Any:
        return super().render_str(text.translate(_CONTROL), **kwargs)

    def print(self, *objects: Any, **kwargs: Any) -> None:
        for item in objects:
            if isinstance(item, Text):
                item.plain = item.plain.translate(_CONTROL)  # same length: styles stay put
        super().print(*objects, **kwargs)


console = SafeConsole(width=None if sys.stdout.isatty() else 160)
err_console = SafeConsole(stderr=True, soft_wrap=True)

EXIT_PROBLEMS = 1
EXIT_INPUT_ERROR = 2
EXIT_INTERNAL_ERROR = 3
DEBUG_ENV = "RADPROMPT_DEBUG"
_DEBUG: list[bool] = []


def set_debug(on: bool) -> None:
    """``radprompt --debug``: errors show their traceback."""
    _DEBUG[:] = [on]


def debugging() -> bool:
    import os

    return (_DEBUG[0] if _DEBUG else False) or os.environ.get(DEBUG_ENV, "") not in ("", "0")

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
ModelOption = Annotated[
    str | None,
    typer.Option("--model", "-m", rich_help_panel=LLM_PANEL, help="LiteLLM model string "
                 "(hosted_vllm/Qwen/Qwen3-14B, openai/gpt-4o-mini, ollama/llama3.1 ...); "
                 "overrides the recipe's."),
]
JudgeModelOption = Annotated[
    str | None,
    typer.Option("--judge-model", rich_help_panel=LLM_PANEL, help="LiteLLM model string of the "
                 "LLM judges (judge, judge_one_pass, judge_two_pass), e.g. "
                 "hosted_vllm/Qwen/Qwen3-14B."),
]
ModeOption = Annotated[
    str | None,
    typer.Option("--mode", rich_help_panel=LLM_PANEL,
                 help="all: one request per report; mentioned: one request per report, the "
                 "answer listing only the labels it mentions (small models); label: one per "
                 "label and report."),
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


def printable(text: str) -> str:
    """``text`` with terminal control characters shown as symbols of the same length (ESC as
    ␛, C1 controls as �): text from files never drives the terminal."""
    return text.translate(_CONTROL)


def _fail(message: str, code: int) -> typer.Exit:
    err_console.print("[bold red]error:[/] ", end="", highlight=False, markup=True)
    err_console.print(printable(message), highlight=False, markup=False)
    return typer.Exit(code)


def handles_errors(command: F) -> F:
    """Turn errors into one red line without a traceback (``--debug`` shows it): radprompt's
    own errors and files that cannot be read or written exit 2, anything unexpected 3."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        # typer's own click (typer._click) raises usage errors as typer.TyperException
        except (typer.Exit, typer.Abort, KeyboardInterrupt, typer.TyperException):
            raise
        except RadpromptError as exc:
            if debugging():
                raise
            raise _fail(str(exc), EXIT_INPUT_ERROR) from None
        except OSError as exc:
            if debugging():
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            raise _fail(f"{where}{exc.strerror or exc}", EXIT_INPUT_ERROR) from None
        except Exception as exc:
            if debugging():
                raise
            raise _fail(f"unexpected {type(exc).__name__}: {exc} (a bug in radprompt; run "
                        "again with --debug for the traceback and report it)",
                        EXIT_INTERNAL_ERROR) from None

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(description: str, total: int) -> Iterator[Callable[[int], None]]:
    """A rich progress bar with count, elapsed time and ETA; yields an ``advance(n)`` callback.

    When stderr is not a terminal (a log, CI) it prints a line instead every 10 seconds:
    ``extracting: 1,200/10,000 (12%), 30 s elapsed``, and one at the end.
    """
    if not err_console.is_terminal:
        with _progress_lines(description, total) as advance:
            yield advance
        return
    from rich.progress import (  # on a terminal only: a log gets lines (~20 ms of imports)
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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


@contextmanager
def _progress_lines(description: str, total: int,
                    every: float = 10.0) -> Iterator[Callable[[int], None]]:
    import time

    started = last = time.monotonic()
    done = 0

    def line() -> None:
        share = f" ({100 * done / total:.0f}%)" if total else ""
        err_console.print(f"{description}: {done:,}/{total:,}{share}, "
                          f"{time.monotonic() - started:.0f} s elapsed", highlight=False)

    def advance(n: int) -> None:
        nonlocal done, last
        done += n
        if time.monotonic() - last >= every:
            last = time.monotonic()
            line()

    yield advance
    if time.monotonic() - started >= 2.0:
        line()


def print_problems(problems: Sequence[RowError | ExtractionFailure], limit: int = 20) -> None:
    err_console.print(f"[yellow]{len(problems)} report(s) could not be used:[/]")
    for problem in problems[:limit]:
        if isinstance(problem, ExtractionFailure):
            err_console.print(printable(f"  {problem.report_id}: extraction failed: "
                                        f"{problem.reason}"), highlight=False, markup=False)
        else:
            err_console.print(printable(f"  {problem}"), highlight=False, markup=False)
    if len(problems) > limit:
        err_console.print(f"  ... and {len(problems) - limit} more")
