"""The ``radprompt`` command group: old option names, and help that reads cleanly.

- **Old names.** ``--output`` (``-o``) is the one name of every output option. The names it
  replaced (``--output-dir``, ``--out``) still work for one release: they are rewritten to
  ``--output`` for a verb that has it, with a note on stderr, and are shown nowhere.
- **Help.** Flags show no ``<bool>`` placeholder, and a docstring's paragraphs are re-flowed to
  the terminal's width (its hard line breaks come from the source file, not from the author's
  intent); a paragraph starting with ``Example`` keeps its lines.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any

from typer.core import TyperGroup

__all__ = ["DEPRECATED_OPTIONS", "RadpromptGroup", "tidy_help"]

DEPRECATED_OPTIONS = {"--output-dir": "--output", "--out": "--output"}
"""Old option name -> its name now; accepted until the next release."""

class RadpromptGroup(TyperGroup):
    """The top-level group: tidies every command's help once, rewrites old option names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in _walk(self):
            tidy_help(command)

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)
        for param in params:
            _no_placeholder(param)
        return params

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, _rewrite_old_names(self, ctx, list(args)))


def _walk(command: Any) -> Iterator[Any]:
    yield command
    for sub in (getattr(command, "commands", None) or {}).values():
        yield from _walk(sub)


def tidy_help(command: Any) -> None:
    """No ``<bool>`` after a flag (``--help`` included); docstring paragraphs re-flowed."""
    for param in command.params:
        _no_placeholder(param)
    with command.context_class(command, info_name=command.name) as ctx:
        help_option = command.get_help_option(ctx)
        if help_option is not None:
            _no_placeholder(help_option)
    if command.help:
        command.help = _reflow(command.help)


def _no_placeholder(param: Any) -> None:
    """A flag takes no value: show no type placeholder (typer shows ``<bool>``)."""
    if getattr(param, "is_flag", False):
        param.display_type_rich = lambda ctx: None


def _reflow(text: str) -> str:
    """Join the lines of each paragraph; an ``Example`` paragraph keeps one command a line."""
    import inspect

    paragraphs = inspect.cleandoc(text).split("\n\n")
    out = []
    for paragraph in paragraphs:
        if paragraph.lstrip().lower().startswith("example"):
            # One command a line: a command the source wrapped is joined, and each new
            # command (in [bold]...[/]) starts a line.
            joined = " ".join(line.strip() for line in paragraph.splitlines())
            out.append(re.sub(r"\s*(\[bold\])", r"\n\1", joined))
        else:
            out.append(" ".join(line.strip() for line in paragraph.splitlines()))
    return "\n\n".join(out)


def _leaf(group: Any, ctx: Any, args: list[str]) -> Any:
    """The command ``args`` name (following sub-group names), or ``group`` itself."""
    command = group
    for token in args:
        if token.startswith("-"):
            continue
        sub = getattr(command, "commands", {}).get(token)
        if sub is None:
            break
        command = sub
    return command


def _rewrite_old_names(group: Any, ctx: Any, args: list[str]) -> list[str]:
    command = _leaf(group, ctx, args)
    names = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)}
    rewritten: list[str] = []
    for token in args:
        if token == "--":
            rewritten.extend(args[len(rewritten):])
            break
        name, sep, value = token.partition("=")
        new = DEPRECATED_OPTIONS.get(name)
        if new is not None and name not in names and new in names:
            sys.stderr.write(f"note: {name} is now {new}; the old name goes in the next "
                             "release\n")
            token = f"{new}{sep}{value}"
        rewritten.append(token)
    return rewritten
