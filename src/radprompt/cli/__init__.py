"""The ``radprompt`` command line: parse, call one library function, render with rich.

Each verb lives in its own module and registers itself on ``app`` when imported; the group
imports a verb's module only when that verb runs (``radprompt.cli._lazy``).
"""

from __future__ import annotations

from typing import Annotated

import typer

from radprompt.cli._lazy import LazyGroup

app = typer.Typer(
    name="radprompt",
    help="Radiology report finding extraction, prompt optimization and evaluation.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    cls=LazyGroup,
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

__all__ = ["app"]
