"""``radprompt export`` and ``radprompt bundle verify``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from radprompt.bundles import (
    FORMATS,
    KEY_ENV,
    SCHEMES,
    Bundle,
    BundleKey,
    export_run,
    generate_key,
    read_key,
    verify_bundle,
)
from radprompt.cli import app
from radprompt.cli._common import console, err_console, handles_errors

KeyOption = Annotated[Path | None, typer.Option(
    "--key", envvar=KEY_ENV, help="Key file: an HMAC secret or an Ed25519 key (radprompt bundle "
    f"keygen); default ${KEY_ENV}.")]


def key_from(path: Path | None) -> BundleKey | None:
    """The key in ``path`` (``None`` when no key was given)."""
    return read_key(path) if path is not None else None


def describe_trust(bundle: Bundle) -> str:
    """One line on whether the bundle's approvals can be trusted."""
    if bundle.signature_verified:
        return (f"signature verified ({bundle.manifest['signature']['scheme']}, key "
                f"{bundle.manifest['signature']['key_id']}): review {bundle.review}")
    claim = bundle.recorded_review
    if bundle.signed:
        return (f"signed, but not checked (give --key): the recorded review '{claim}' is not "
                "trusted")
    return f"not signed: the recorded review '{claim}' is not trusted"

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
    sign_key: Annotated[Path | None, typer.Option(
        "--sign-key", envvar=KEY_ENV, help="Sign the bundle with this key (radprompt bundle "
        "keygen); only a signed bundle's approvals are trusted.")] = None,
) -> None:
    """Freeze an accepted version of an optimize run as a hashed bundle: the program (labelset
    or rendered prompt messages and template), labelset version, model and decoding parameters,
    dev / test metrics, the approvals from the audit log, and a content hash.

    Use it with [bold]radprompt extract --bundle DIR -i reports.jsonl -o findings.jsonl[/];
    check it with [bold]radprompt bundle verify DIR[/].

    Examples: [bold]radprompt export runs/20260101-chestxray21-rules -o out/bundle[/]
    [bold]radprompt export RUN --version e06d29074a1cb561 --format text -o out/b2[/]
    """
    bundle = export_run(run, output=output, format=format, version=version,
                        allow_unreviewed=allow_unreviewed, include_reports=include_reports,
                        key=key_from(sign_key))
    console.print(f"wrote {bundle.kind} bundle of version {bundle.version} to {bundle.path}")
    console.print(f"content hash {bundle.content_hash}")
    if not bundle.signed:
        err_console.print("[yellow]not signed (no --sign-key): whoever uses it cannot trust "
                          "its approvals[/]")
    if bundle.review != "reviewed":
        err_console.print(f"[yellow]this version is {bundle.review}; the bundle says so[/]")


@bundle_app.command("verify")
@handles_errors
def verify(
    bundle: Annotated[Path, typer.Argument(help="Bundle folder written by radprompt export.")],
    key: KeyOption = None,
    expect_hash: Annotated[str | None, typer.Option(
        "--expect-hash", help="The content hash the audit log recorded (at least 12 "
        "characters); anything else is refused.")] = None,
) -> None:
    """Recompute every file's sha256 and the content hash, check the signature with your key
    and the hash you expect; exit 2 if anything was altered or signed by another key.

    Example: [bold]radprompt bundle verify out/bundle --key ~/.config/radprompt/bundle.key[/]
    """
    checked = verify_bundle(bundle, key=key_from(key), expect_hash=expect_hash)
    manifest = checked.manifest
    console.print(f"[green]ok[/]: {checked.kind} bundle, version {checked.version}, "
                  f"{len(manifest['files'])} file(s), review {checked.review}, "
                  f"content hash {checked.content_hash}", highlight=False, markup=True)
    console.print(describe_trust(checked), highlight=False, markup=False)


@bundle_app.command("keygen")
@handles_errors
def keygen(
    path: Annotated[Path, typer.Argument(help="New key file (never overwritten).")],
    ed25519: Annotated[bool, typer.Option(
        "--ed25519", help="An Ed25519 key pair (PATH private, PATH.pub public; needs "
        "radprompt[sign]) instead of an HMAC secret.")] = False,
) -> None:
    """Write a new bundle signing key (mode 0600).

    An HMAC secret signs and verifies; an Ed25519 key pair lets others verify with the public
    half. Example: [bold]radprompt bundle keygen ~/.config/radprompt/bundle.key[/]
    """
    written = generate_key(path, scheme=SCHEMES[1] if ed25519 else SCHEMES[0])
    key = read_key(written)
    console.print(f"wrote {key.scheme} key {key.key_id} to {written}"
                  + (f" (public half {written}.pub)" if ed25519 else ""), highlight=False)
