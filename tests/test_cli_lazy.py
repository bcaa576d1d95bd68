"""Verbs load on use: the help table matches the real commands, and extract skips the optimizer."""

from __future__ import annotations

import importlib
import subprocess
import sys

import typer
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.cli._lazy import VERBS


def test_help_lists_every_verb_with_the_help_of_its_command() -> None:
    for modules, _ in VERBS.values():
        for module in modules:
            importlib.import_module(f"radprompt.cli.{module}")
    real = typer.main.get_group(app).commands
    assert set(real) == set(VERBS)
    for name, (_, help_text) in VERBS.items():
        command = real[name]
        assert (command.short_help or command.help or "").split("\n\n")[0] == help_text, name
    listing = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    for name in VERBS:
        assert f" {name} " in listing


def test_extract_help_imports_neither_optimizer_nor_numpy() -> None:
    code = ("import sys\nfrom radprompt.cli import app\n"
            "try:\n    app(['extract', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith(('numpy', 'dspy', "
            "'radprompt.optimizers', 'radprompt.cli.optimize'))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "--extractor" in result.stdout


def test_a_verb_still_runs_and_an_unknown_one_is_an_error() -> None:
    result = CliRunner().invoke(app, ["labelsets", "list"])
    assert result.exit_code == 0, result.output
    assert "chestxray21" in result.output
    unknown = CliRunner().invoke(app, ["no-such-verb"])
    assert unknown.exit_code == 2
