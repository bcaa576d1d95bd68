"""``radprompt labelsets list|show|validate``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import console, handles_errors
from radprompt.labelset import (
    available_labelsets,
    available_mappings,
    load_labelset,
    load_mapping,
)

labelsets_app = typer.Typer(help="List, show and validate labelsets.", no_args_is_help=True)
app.add_typer(labelsets_app, name="labelsets")


@labelsets_app.command("list")
@handles_errors
def labelsets_list() -> None:
    """List the labelsets and mappings radprompt can find.

    Example: [bold]radprompt labelsets list[/]
    """
    table = Table(title="Labelsets")
    for column in ("name", "version", "labels", "file"):
        table.add_column(column)
    for path in available_labelsets():
        labelset = load_labelset(path)
        table.add_row(labelset.name, labelset.version, str(len(labelset.labels)), str(path))
    console.print(table)
    mappings = Table(title="Mappings")
    for column in ("name", "source", "target", "file"):
        mappings.add_column(column)
    for path in available_mappings():
        mapping = load_mapping(path, check=False)
        mappings.add_row(mapping.name, mapping.source, mapping.target, str(path))
    console.print(mappings)


@labelsets_app.command("show")
@handles_errors
def labelsets_show(
    name: Annotated[str, typer.Argument(help="Labelset name or YAML path.")],
) -> None:
    """Show a labelset's labels: ids, display names, policies, thresholds and phrases.

    Example: [bold]radprompt labelsets show chestxray21[/]
    """
    labelset = load_labelset(name)
    table = Table(title=f"{labelset.name} {labelset.version} — {len(labelset.labels)} labels")
    for column in ("id", "name", "uncertain counts as", "threshold", "phrases"):
        table.add_column(column, overflow="fold")
    for label in labelset.labels:
        phrases = "(derived: " + label.derived + ")" if label.derived else ", ".join(
            label.mention_phrases[:6]) + (" ..." if len(label.mention_phrases) > 6 else "")
        table.add_row(label.id, label.name, label.uncertainty_policy.value,
                      f"{label.threshold:.2f}", phrases)
    console.print(table)


@labelsets_app.command("validate")
@handles_errors
def labelsets_validate(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Labelset names or YAML paths; default: every labelset and mapping."),
    ] = None,
) -> None:
    """Validate labelsets (and, with no arguments, every mapping) and say what is wrong.

    Example: [bold]radprompt labelsets validate labelsets/chestxray21.yaml[/]
    """
    if names:
        for name in names:
            labelset = load_labelset(name)
            console.print(f"[green]ok[/] {labelset.name} ({len(labelset.labels)} labels)")
        return
    for path in available_labelsets():
        labelset = load_labelset(path)
        console.print(f"[green]ok[/] labelset {labelset.name} ({len(labelset.labels)} labels)")
    for path in available_mappings():
        mapping = load_mapping(path)
        console.print(f"[green]ok[/] mapping {mapping.name} ({mapping.source} -> {mapping.target})")
