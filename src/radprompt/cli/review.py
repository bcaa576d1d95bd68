"""``radprompt review`` (terminal) and ``radprompt serve`` (web page)."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from radprompt.cli import app
from radprompt.cli._common import console, err_console, handles_errors
from radprompt.errors import InputError
from radprompt.review import (
    ProposalView,
    accept,
    accept_edit,
    editable_text,
    list_proposals,
    proposal_view,
    reject,
    score_edit,
)
from radprompt.runs import Edit, Run

ReviewerOption = Annotated[str | None, typer.Option(
    "--reviewer", help="Your name, recorded with the decision (asked for when not given).")]
CommentOption = Annotated[str, typer.Option("--comment", "-c", help="Why; goes to the audit log.")]


@app.command()
@handles_errors
def review(
    run: Annotated[Path, typer.Argument(help="Run directory (or its name under runs/).")],
    proposal: Annotated[str | None, typer.Argument(help="Proposal id, e.g. round-01.")] = None,
    do_accept: Annotated[bool, typer.Option("--accept", help="Accept the proposal.")] = False,
    do_reject: Annotated[bool, typer.Option("--reject", help="Reject the proposal.")] = False,
    do_edit: Annotated[bool, typer.Option(
        "--edit", help="Edit the proposed version in $EDITOR (the labelset YAML, or a "
        "prompt's per-label guidance); it is re-scored on dev and shown before you accept "
        "it.")] = False,
    reviewer: ReviewerOption = None,
    comment: CommentOption = "",
    yes: Annotated[bool, typer.Option("--yes", "-y",
                                      help="Accept an edit without asking again.")] = False,
    show_all: Annotated[bool, typer.Option("--all", help="List decided proposals too.")] = False,
    examples: Annotated[int, typer.Option(help="Fixed / broken reports shown of each.")] = 5,
) -> None:
    """Review the optimizer's proposals: diff, per-label F1 deltas on dev, the reports a change
    fixes and breaks (evidence highlighted), the rationale; then accept, reject or edit.

    Without PROPOSAL, lists the pending proposals. With it, shows the proposal and, at a
    terminal, asks for a decision. Decisions are appended to the run's audit log with your name
    and comment; continue the run afterwards with [bold]radprompt optimize --resume RUN[/].

    Examples: [bold]radprompt review runs/20260101-chestxray21-rules[/]
    [bold]radprompt review RUN round-01 --accept --reviewer "Dr. A. Reviewer" -c "fine"[/]
    [bold]EDITOR=nano radprompt review RUN round-01 --edit --reviewer "Dr. A. Reviewer"[/]
    """
    opened = Run.open(run)
    if proposal is None:
        _list(opened, show_all=show_all)
        return
    if sum((do_accept, do_reject, do_edit)) > 1:
        raise InputError(Path(proposal), "choose one of --accept, --reject, --edit")
    view = proposal_view(opened, proposal)
    show_proposal(view, examples=examples)
    action = "accept" if do_accept else "reject" if do_reject else "edit" if do_edit else None
    if action is None:
        if not view.pending or not sys.stdin.isatty():
            return
        action = typer.prompt("decision: [a]ccept, [r]eject, [e]dit, [s]kip", default="s")
        action = {"a": "accept", "r": "reject", "e": "edit"}.get(action[:1].lower(), "skip")
        if action == "skip":
            return
    name = reviewer or typer.prompt("reviewer name")
    if action == "edit":
        _edit(opened, view, reviewer=name, comment=comment, yes=yes)
        return
    if not comment and sys.stdin.isatty():
        comment = typer.prompt("comment", default="", show_default=False)
    decide = accept if action == "accept" else reject
    decision = decide(opened, proposal, reviewer=name, comment=comment)
    console.print(f"[bold]{decision.decision}[/] {proposal} by {escape(decision.reviewer)}; "
                  f"continue with: radprompt optimize --resume {opened.path}")


def _list(run: Run, *, show_all: bool) -> None:
    summaries = list_proposals(run, pending_only=not show_all)
    if not summaries:
        console.print("no pending proposals" + ("" if show_all else " (--all lists every one)"))
        return
    table = Table(title=f"proposals of {run.path.name}")
    for column in ("proposal", "round", "status", "dev macro-F1", "changes", "fixes", "breaks"):
        table.add_column(column)
    for s in summaries:
        table.add_row(s.id, str(s.round), s.status,
                      f"{s.macro_before:.4f} -> {s.macro_after:.4f}", str(s.changes),
                      str(s.fixes), str(s.breaks))
    console.print(table)
    console.print(f"show one: radprompt review {run.path} {summaries[0].id}")


def diff_text(diff: str) -> Text:
    """A unified diff coloured like git's."""
    text = Text()
    for line in diff.splitlines():
        style = ("bold" if line.startswith(("---", "+++")) else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "cyan" if line.startswith("@@") else "")
        text.append(line + "\n", style=style)
    return text


def show_proposal(view: ProposalView, *, examples: int = 5) -> None:
    console.rule(f"proposal {view.id} ({view.status})")
    console.print(f"version {view.parent} -> {view.version}; dev macro-F1 "
                  f"{view.macro_before:.4f} -> [bold]{view.macro_after:.4f}[/]")
    if view.classified:
        colours = {"widening": "green", "narrowing": "bold red", "setting": "cyan"}
        console.print("[bold]changes[/] (class: what it does)")
        for change_class, description in view.classified:
            console.print(f"  [{colours.get(change_class, '')}]{change_class:9}[/] "
                          f"{escape(description)}", highlight=False)
    if view.needs_review:
        console.print(f"[yellow]waits for a reviewer: {escape(view.needs_review)}[/]")
    for check in view.checks:
        console.print(f"  ✓ {escape(check)}", highlight=False)
    console.print(diff_text(view.diff))
    table = Table(title="per-label F1 on dev (changed labels)")
    for column in ("label", "support", "before", "after", "Δ", "verdict"):
        table.add_column(column, justify="left" if column in ("label", "verdict") else "right")
    for row in view.labels:
        if row.changed:
            colour = "green" if row.delta > 0 else "red"
            table.add_row(row.name, str(row.support), f"{row.f1_before:.3f}",
                          f"{row.f1_after:.3f}", f"[{colour}]{row.delta:+.3f}[/]",
                          f"{row.verdict_before} -> {row.verdict_after}")
    console.print(table)
    for title, items in (("fixes", view.fixes), ("breaks", view.breaks)):
        console.print(f"[bold]reports it {title}[/] ({len(items)}):")
        for example in items[:examples]:
            line = Text(f"  {example.report_id} {example.label_name}: reference "
                        f"{example.reference}, was {example.before}, now {example.after}\n    ")
            line.append(example.text_before)
            line.append(example.highlight, style="bold black on yellow")
            line.append(example.text_after)
            console.print(line)
    console.print("[bold]rationale[/]")
    console.print(Text(view.rationale))
    for decision in view.decisions:
        console.print(f"{decision.decision} by {escape(decision.reviewer)} at {decision.time}: "
                      f"{escape(decision.comment)}")


def _edit(run: Run, view: ProposalView, *, reviewer: str, comment: str, yes: bool) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{view.id}-{view.version}.yaml"
        path.write_text(editable_text(run, view.id), encoding="utf-8")
        subprocess.run([*shlex.split(editor), str(path)], check=True)
        text = path.read_text("utf-8")
    edited = score_edit(run, view.id, text, reviewer=reviewer)
    show_edited(view, edited)
    if not yes and not typer.confirm("accept the edited version?", default=False):
        err_console.print(f"not accepted; the edit is kept as version {edited.version}")
        return
    decision = accept_edit(run, view.id, version=edited.version, reviewer=reviewer,
                           comment=comment)
    console.print(f"[bold]edited[/] {view.id} -> version {decision.version} by "
                  f"{escape(decision.reviewer)}; continue with: "
                  f"radprompt optimize --resume {run.path}")


def show_edited(view: ProposalView, edited: Edit) -> None:
    console.rule(f"edited version {edited.version}")
    console.print(diff_text(edited.diff))
    before = {row.label_id: row.f1_before for row in view.labels}
    table = Table(title="per-label F1 on dev: before -> edited")
    for column in ("label", "before", "edited", "Δ"):
        table.add_column(column, justify="left" if column == "label" else "right")
    for row in edited.dev.labels:
        delta = row.f1 - before.get(row.label_id, row.f1)
        if abs(delta) > 5e-4:
            table.add_row(row.name, f"{before[row.label_id]:.3f}", f"{row.f1:.3f}",
                          f"{delta:+.3f}")
    console.print(table)
    console.print(f"dev macro-F1 {view.macro_before:.4f} -> edited "
                  f"[bold]{edited.dev.macro_f1:.4f}[/] (proposal {view.macro_after:.4f})")


@app.command()
@handles_errors
def serve(
    run: Annotated[Path, typer.Argument(help="Run directory (or its name under runs/).")],
    host: Annotated[str, typer.Option(help="Address to bind; other machines can reach the page "
                                      "only if you bind a public one.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    token: Annotated[str | None, typer.Option(
        envvar="RADPROMPT_REVIEW_TOKEN",
        help="Access token (default: a new random one, printed).")] = None,
) -> None:
    """Serve the review web page for a run: proposals, side-by-side diff, per-label table,
    example reports; accept, reject or edit with a comment.

    Open the printed address (it carries the access token once, then a cookie does).

    Example: [bold]radprompt serve runs/20260101-chestxray21-rules --port 8765[/]
    """
    from radprompt.review.app import create_app, new_token

    if token is not None and len(token) < MIN_TOKEN:
        raise InputError("--token", f"the access token has {len(token)} character(s); use at "
                         f"least {MIN_TOKEN} (or leave it out for a new random one)")
    key = token or new_token()
    web = create_app(run, token=key)
    try:
        import uvicorn
    except ImportError:
        raise InputError(Path("uvicorn"), "radprompt serve needs uvicorn: "
                         "pip install 'radprompt[web]'") from None
    listening = _listen(host, port)  # fails before the token is ever printed
    console.print(f"review page: http://{host}:{port}/?token={key}", highlight=False)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err_console.print(f"[yellow]listening on {host}: anyone who can reach it and has the "
                          "token can record decisions[/]")
    server = uvicorn.Server(uvicorn.Config(web, log_level="warning"))
    server.run(sockets=[listening])


MIN_TOKEN = 8


def _listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, or one clear error (port in use, no such address)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listening = socket.socket(family, socket.SOCK_STREAM)
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind((host, port))
        listening.listen(128)
    except OSError as exc:
        raise InputError(f"{host}:{port}", f"cannot listen there: {exc.strerror or exc} "
                         "(choose another --port or --host)") from None
    return listening
