"""``radprompt export`` and ``radprompt bundle verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radprompt.cli import app
from radprompt.cli._common import console, err_console, handles_errors
from radprompt.export import FORMATS, export_run, verify_bundle

bundle_app = typer.Typer(help="Check frozen export bundles.", no_args_is_help=True)
app.add_typer(bundle_app, name="bundle")


@app.command()
@handles_errors
def export(
    run: Annotated[Path, typer.Argument(help="Run directory (or its name under runs/).")],
    output: Annotated[Path, typer.Option("--output", "-o",
                                         help="New folder for the bundle.")],
    format: Annotated[str, typer.Option(
        "--format", "-f", help=f"One of {', '.join(FORMATS)} (jinja, promptfoo and dspy are "
        "for LLM prompts; the rule engine exports json or text).")] = "json",
    version: Annotated[str | None, typer.Option(
        "--version", help="Version hash (default: the newest accepted one).")] = None,
    allow_unreviewed: Annotated[bool, typer.Option(
        "--allow-unreviewed", help="Export a version no reviewer accepted; the bundle says "
        "so.")] = False,
    include_reports: Annotated[bool, typer.Option(
        "--include-reports", help="promptfoo: copy dev reports into the test cases even when the "
        "experiment is not marked synthetic (they are patient data).")] = False,
) -> None:
    """Freeze an accepted version of an optimize run as a hashed bundle: the program (labelset
    or rendered prompt messages and template), labelset version, model and decoding parameters,
    dev / test metrics, the approvals from the audit log, and a content hash.

    Use it with [bold]radprompt extract --bundle DIR[/]; check it with
    [bold]radprompt bundle verify DIR[/].

    Examples: [bold]radprompt export runs/20260101-chestxray21-rules -o out/bundle[/]
    [bold]radprompt export RUN --version e06d29074a1cb561 --format text -o out/b2[/]
    """
    bundle = export_run(run, output=output, format=format, version=version,
                        allow_unreviewed=allow_unreviewed, include_reports=include_reports)
    console.print(f"wrote {bundle.kind} bundle of version {bundle.version} to {bundle.path}")
    console.print(f"content hash {bundle.content_hash}")
    if bundle.review != "reviewed":
        err_console.print(f"[yellow]this version is {bundle.review}; the bundle says so[/]")


@bundle_app.command("verify")
@handles_errors
def verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder written by radprompt export.")],
) -> None:
    """Recompute every file's sha256 and the content hash; exit 2 if anything was altered.

    Example: [bold]radprompt bundle verify out/bundle[/]
    """
    checked = verify_bundle(bundle)
    manifest = checked.manifest
    console.print(f"[green]ok[/]: {checked.kind} bundle, version {checked.version}, "
                  f"{len(manifest['files'])} file(s), review {checked.review}, "
                  f"content hash {checked.content_hash}", highlight=False)
