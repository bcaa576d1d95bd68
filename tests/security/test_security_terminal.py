"""Terminal escape sequences in run files, reports or ids never reach the terminal."""

from __future__ import annotations

import io
import json

from review_support import prompt_run
from rich.text import Text
from security_support import invoke

from radprompt.cli._common import SafeConsole
from radprompt.llm import LLMRecipe

CLEAR_SCREEN = "\x1b[2J\x1b]0;owned\x07"


def test_console_prints_control_characters_as_symbols() -> None:
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, force_terminal=True)
    console.print(Text(f"rationale {CLEAR_SCREEN}", style="bold"))
    console.print(f"id {CLEAR_SCREEN}", markup=False)
    written = buffer.getvalue()
    assert "\x1b[2J" not in written and "\x1b]0;" not in written and "\x07" not in written
    assert "␛[2J" in written


def test_review_of_a_run_with_escape_sequences(tmp_path) -> None:
    recipe = LLMRecipe(model="hosted_vllm/m", api_base="http://127.0.0.1:9/v1")
    run, _, _ = prompt_run(tmp_path / "runs", recipe)
    path = run.path / "proposals" / "round-01.json"
    proposal = json.loads(path.read_text())
    proposal["rationale"] = f"looks fine {CLEAR_SCREEN}"
    path.write_text(json.dumps(proposal))
    result = invoke("review", run.path, "round-01")
    assert result.exit_code == 0, result.output
    assert "looks fine" in result.output
    assert "\x1b[2J" not in result.output and "\x07" not in result.output


def test_row_problems_with_escape_sequences(tmp_path) -> None:
    reports = tmp_path / "r.jsonl"
    reports.write_text(json.dumps({"id": f"x{CLEAR_SCREEN}", "text": " "}) + "\n"
                       + json.dumps({"id": "ok", "text": "No effusion."}) + "\n")
    result = invoke("extract", "-i", reports, "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 1
    assert "empty report text" in result.output and "\x1b" not in result.output
