"""``radprompt labelsets list|show|validate|test``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import (
    EXIT_PROBLEMS,
    AllowRemoteOption,
    ApiBaseOption,
    ConcurrencyOption,
    ModelOption,
    ModeOption,
    console,
    err_console,
    handles_errors,
    progress_bar,
)
from radprompt.errors import InputError
from radprompt.guards import GuardReport, check_guard_examples
from radprompt.labelset import (
    LabelSet,
    available_labelsets,
    available_mappings,
    load_labelset,
    load_mapping,
)
from radprompt.pipeline import choose_extractor

labelsets_app = typer.Typer(help="List, show, validate and test labelsets.",
                            no_args_is_help=True)
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
    """Show a labelset's labels: ids, display names, policies, thresholds, guard examples and
    phrases.

    Example: [bold]radprompt labelsets show chestxray21[/]
    """
    labelset = load_labelset(name)
    table = Table(title=f"{labelset.name} {labelset.version} — {len(labelset.labels)} labels")
    for column in ("id", "name", "uncertain counts as", "threshold", "examples", "phrases"):
        table.add_column(column, overflow="fold")
    for label in labelset.labels:
        phrases = "(derived: " + label.derived + ")" if label.derived else ", ".join(
            label.mention_phrases[:6]) + (" ..." if len(label.mention_phrases) > 6 else "")
        table.add_row(label.id, label.name, label.uncertainty_policy.value,
                      f"{label.threshold:.2f}", str(len(label.examples)), phrases)
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


@labelsets_app.command("test")
@handles_errors
def labelsets_test(
    name: Annotated[str, typer.Argument(help="Labelset name or YAML path.")],
    extractor: Annotated[
        str | None,
        typer.Option("--extractor", "-e", help="Extractor recipe: rules (default), a name in "
                     "extractors/ (vllm-qwen3-14b) or a YAML path."),
    ] = None,
    label: Annotated[
        list[str] | None,
        typer.Option("--label", help="Only this label's examples (id or display name); "
                     "repeatable."),
    ] = None,
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    allow_remote: AllowRemoteOption = False,
    mode: ModeOption = None,
    concurrency: ConcurrencyOption = None,
) -> None:
    """Run a labelset's guard examples like unit tests against an extractor.

    Each example (labelsets/examples/<labelset>/*.yaml) is one synthetic report whose label must
    come out in the example's state. Every failure is listed with the sentence, the state
    expected and the state got; exit code 1 when any example fails.

    Examples: [bold]radprompt labelsets test chestxray21[/]
    [bold]radprompt labelsets test chexpert14 -m hosted_vllm/Qwen/Qwen3-14B
    --api-base http://127.0.0.1:8000/v1[/]
    """
    overrides = {"model": model, "api_base": api_base,
                 "allow_remote": True if allow_remote else None, "mode": mode,
                 "concurrency": concurrency}
    labelset = load_labelset(name)
    engine = choose_extractor(labelset=labelset, extractor=extractor,
                              overrides=overrides).extractor
    chosen = [_label_id(labelset, key) for key in label or ()]
    total = sum(len(labelset.get(i).examples) for i in chosen) if chosen else sum(
        len(item.examples) for item in labelset.labels)
    with progress_bar("guard examples", total=total) as advance:
        report = check_guard_examples(labelset, engine, labels=chosen or None, progress=advance)
    _print_report(report, what=f"{labelset.name} with {extractor or model or 'rules'}")
    if not report.ok:
        raise typer.Exit(EXIT_PROBLEMS)


def _label_id(labelset: LabelSet, key: str) -> str:
    found = labelset.resolve(key)
    if found is None:
        raise InputError("--label", f"unknown label {key!r}; known: {', '.join(labelset.ids)}")
    return found.id


def _print_report(report: GuardReport, *, what: str) -> None:
    for failure in report.failures:
        note = f"  ({failure.note})" if failure.note else ""
        console.print(f"FAIL {failure.label_id}: {failure.text!r}  expected "
                      f"{failure.expected.value}, got {failure.got.value}{note}",
                      markup=False, highlight=False)
    for error in report.errors:
        console.print(f"ERROR {error.label_id}: {error.text!r}  expected "
                      f"{error.expected.value}, no usable answer: {error.reason}",
                      markup=False, highlight=False)
    failing = {label: counts for label, counts in report.by_label().items()
               if counts[0] < counts[1]}
    if failing:
        table = Table(title="labels with failing examples")
        for column in ("label", "passed", "examples"):
            table.add_column(column)
        for label, (passed, total) in failing.items():
            table.add_row(label, str(passed), str(total))
        console.print(table)
    colour = "green" if report.ok else "red"
    err_console.print(f"[{colour}]{report.passed}/{report.total} guard examples passed[/] "
                      f"({what}; {len(report.by_label())} labels, {len(report.failures)} "
                      f"failed, {len(report.errors)} without an answer)", highlight=False)
