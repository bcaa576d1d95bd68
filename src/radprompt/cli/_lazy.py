"""Verbs that load on use: ``radprompt extract`` imports the extract module, not the optimizer.

Each verb's module registers its command on ``radprompt.cli.app`` when imported. Importing
all of them costs more than a second of CPU (numpy, the optimizers, DSPy, LLM clients), which a
``radprompt extract`` of a few thousand reports would pay before reading one. :class:`LazyGroup`
knows every verb's name, modules and one-line help (:data:`VERBS`); it imports a verb's modules
only when that verb runs, and lists every verb in ``radprompt --help`` from the table without
importing anything. ``tests/test_cli_lazy.py`` checks the table against the real commands.
"""

from __future__ import annotations

import gc
import importlib
from typing import Any

from typer.core import TyperCommand

from radprompt.cli._group import RadpromptGroup

__all__ = ["VERBS", "LazyGroup", "load_all_verbs"]

VERBS: dict[str, tuple[tuple[str, ...], str]] = {
    "optimize": (("optimize",), "Improve an extractor round by round until every label's F1 "
                 "clears its threshold on dev."),
    "extract": (("extract",), "Extract per-label findings (present / absent / uncertain / not "
                "mentioned) from reports."),
    "score": (("score",), "Score predicted findings against reference labels, per label and "
              "overall."),
    "evaluate": (("evaluate",), "Score generated reports against references: Ran Score, "
                 "clinical, lexical, semantic."),
    "review": (("review",), "Review the optimizer's proposals: diff, per-label F1 deltas on "
               "dev, the reports a change fixes and breaks (evidence highlighted), the rationale; "
               "then accept, reject or edit."),
    "serve": (("review",), "Serve the review web page for a run: proposals, side-by-side diff, "
              "per-label table, example reports; accept, reject or edit with a comment."),
    "export": (("export",), "Freeze an accepted version of an optimize run as a hashed bundle: "
               "the program (labelset or rendered prompt messages and template), labelset "
               "version, model and decoding parameters, dev / test metrics, the approvals from "
               "the audit log, and a content hash."),
    "runs": (("runs",), "List and inspect optimize runs."),
    "labelsets": (("labelsets",), "List, show, validate and test labelsets."),
    "bench": (("bench", "bench_llm", "bench_metrics"), "Measure speed."),
    "significance": (("significance",), "Clinical significance of report metrics: does a "
                     "metric penalise clinically significant errors (discrimination) and "
                     "tolerate harmless rephrasing (robustness)?"),
    "bundle": (("export",), "Check frozen export bundles."),
    "models": (("models",), "Check model endpoints."),
}
"""Verb -> (modules under ``radprompt.cli`` that define it, its one-line help), in help order."""


_GC_EVERY = (10_000, 20)
"""The cycle collector in a command-line process: allocations between two young passes, young
passes between two passes over the middle generation."""


def load_verb(name: str) -> Any:
    """Import ``name``'s modules and return its click command, help tidied."""
    import typer

    from radprompt.cli import app

    # a command is a short batch that builds many long-lived objects and little cyclic garbage:
    # the cycle collector's default (a young pass every 700 allocations, an older one every
    # 10 young) walked them for 0.16 CPU s of a rule-engine extract of the IU reports; with a
    # young pass every 10,000 and an older one every 20 of them, 0.05 s
    if gc.get_threshold()[0] < _GC_EVERY[0]:
        gc.set_threshold(*_GC_EVERY, gc.get_threshold()[2])
    for module in VERBS[name][0]:
        importlib.import_module(f"radprompt.cli.{module}")
    return typer.main.get_group(app).commands[name]


def load_all_verbs() -> None:
    """Import every verb's modules (for tools that walk the whole command tree)."""
    for modules, _help in VERBS.values():
        for module in modules:
            importlib.import_module(f"radprompt.cli.{module}")


class LazyGroup(RadpromptGroup):
    """The top-level group with verbs loaded on use (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return list(VERBS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in VERBS:
            return super().get_command(ctx, cmd_name)
        if self._listing and cmd_name not in self.commands:
            return TyperCommand(cmd_name, help=VERBS[cmd_name][1])
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_verb(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        verb = next((a for a in args if not a.startswith("-")), None)
        if verb in VERBS:
            self.get_command(ctx, verb)  # loaded before the old option names are rewritten
        return super().parse_args(ctx, args)
