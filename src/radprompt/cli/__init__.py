"""The ``radprompt`` command line: parse, call one library function, render with rich.

Each verb lives in its own module and registers itself on ``app`` when imported below.
"""

from __future__ import annotations

from typing import Annotated

import typer

from radprompt.cli._group import RadpromptGroup

app = typer.Typer(
    name="radprompt",
    help="Radiology report finding extraction, prompt optimization and evaluation.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    cls=RadpromptGroup,
)


def _print_version(value: bool) -> None:
    if value:
        from radprompt import __version__

        typer.echo(f"radprompt {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True,
                           help="Print the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of an error (also "
                           "RADPROMPT_DEBUG=1).")
    ] = False,
) -> None:
    """Radiology report finding extraction, prompt optimization and evaluation."""
    from radprompt.cli._common import set_debug

    set_debug(debug)

# Registration order is the order of `radprompt --help`.
from radprompt.cli import optimize, extract, score, evaluate, labelsets, bench, bench_llm  # noqa: E402, F401, I001
from radprompt.cli import bench_metrics, significance, review, export  # noqa: E402, F401
from radprompt.cli import models  # noqa: E402, F401

__all__ = ["app"]
