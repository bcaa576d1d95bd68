"""The README runner: every command in README.md and in every ``--help`` example must work.

Every ``radprompt`` command of the README's fenced blocks and of each verb's help examples is
parsed by the real command line (a renamed flag, a verb that moved or a wrong value type
fails here); then the README's commands run in order, as a reader would type them, in a
scratch project with the loopback fake server standing in for ``vllm serve``. Commands the
runner does not execute are listed in ``NOT_RUN`` with the reason; long jobs are shortened by
the budget flags in ``SHORTER`` (the command as written must still parse).
"""

from __future__ import annotations

import os
import re
import shlex
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.cli._lazy import load_all_verbs

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
_FENCE = re.compile(r"^```(?:bash|sh|shell|console)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_HELP_EXAMPLE = re.compile(r"\[bold\](.*?)\[/\]", re.DOTALL)
_FAKE_PORT = "127.0.0.1:8000"

NOT_RUN = {
    "bash scripts/test.sh": "runs the whole test suite, this test included",
    "bash scripts/demo.sh": "creates .venv, then runs the main job (tests/test_optimize.py)",
    "bash scripts/demo-llm.sh": "the LLM-loop simulation, minutes long; tests/test_optimize_llm.py "
                                "runs the same loop against the same fake",
    "source .venv/bin/activate": "shell set-up",
    "vllm serve": "needs a GPU and a model download; the fake server stands in for it",
    "radprompt serve": "serves until interrupted (tests/test_review_web.py tests the page)",
}
"""Command prefix -> why the runner does not execute it (radprompt ones are still parsed)."""

SHORTER = {
    "radprompt optimize": ["--max-rounds", "1", "--trials", "2", "--labels-per-round", "1"],
    # the review commands need its proposal: one label, two trials still make one
    "radprompt optimize --review": ["--max-rounds", "1", "--trials", "2", "--labels-per-round",
                                    "1"],
    # the prompt loop on a 60 / 30 / 30 slice of the demo corpus (no later command reads its run)
    "radprompt optimize --labelset chestxray21 --model": [
        "--max-rounds", "1", "--trials", "2", "--labels-per-round", "1",
        "--experiment", "mini/mini.yaml"],
    "radprompt bench rules": ["--input", "experiments/demo/dev.jsonl", "--min-reports", "100",
                              "--repeat", "1"],
    "radprompt bench llm": ["--reports", "10", "--label-reports", "2", "--latency", "0"],
    "radprompt bench metrics": ["--pairs", "20"],
}
"""Command prefix -> budget flags appended when it runs (same code path, less work); the
longest matching prefix wins."""


def readme_commands(path: Path = README) -> list[str]:
    """The commands of ``path``'s fenced shell blocks: continuation lines joined, comments and
    blank lines dropped."""
    commands = []
    for block in _FENCE.findall(path.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words:
                commands.append(shlex.join(words))
    return commands


def _walk(command: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], object]]:
    yield path, command
    for name, sub in (getattr(command, "commands", None) or {}).items():
        yield from _walk(sub, (*path, name))


def help_examples() -> list[str]:
    """The commands in every verb's ``--help`` examples (``[bold]...[/]``)."""
    load_all_verbs()
    examples = []
    for _path, command in _walk(typer.main.get_command(app)):
        for example in _HELP_EXAMPLE.findall(getattr(command, "help", None) or ""):
            examples.append(" ".join(example.split()))
    return examples


def _argv(command: str) -> list[str]:
    words = shlex.split(command)
    while words and re.fullmatch(r"[A-Z_]+=\S*", words[0]):  # EDITOR=nano radprompt ...
        words.pop(0)
    return words


def parse_problem(command: str) -> str | None:
    """Parse a ``radprompt`` command as the CLI would, without running it; the problem or
    ``None``."""
    argv = _argv(command)
    if not argv or argv[0] != "radprompt":
        return None
    group = typer.main.get_command(app)
    try:
        ctx = group.make_context("radprompt", argv[1:])
        current = group
        while getattr(current, "commands", None):
            rest = [*getattr(ctx, "_protected_args", []), *ctx.args]
            if not rest:
                break
            name, sub, rest = current.resolve_command(ctx, rest)  # type: ignore[attr-defined]
            ctx = sub.make_context(name, rest, parent=ctx)
            current = sub
    except Exception as exc:  # click's UsageError / BadParameter / MissingParameter
        return f"{command}: {exc}"
    return None


def check_commands(commands: list[str]) -> list[str]:
    return [problem for command in commands if (problem := parse_problem(command))]


def test_readme_has_commands() -> None:
    commands = readme_commands()
    assert sum(command.startswith("radprompt ") for command in commands) >= 15
    assert len(help_examples()) >= 20


@pytest.mark.parametrize("command", readme_commands() + help_examples())
def test_command_parses(command: str) -> None:
    assert parse_problem(command) is None


def test_a_wrong_flag_in_the_readme_fails(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    assert "--predictions out/" in text
    broken = tmp_path / "README.md"
    broken.write_text(text.replace("--predictions out/", "--prediction out/", 1),
                      encoding="utf-8")
    problems = check_commands(readme_commands(broken))
    assert len(problems) == 1 and "--prediction" in problems[0], problems
    assert check_commands(readme_commands()) == []


def test_not_run_lists_only_readme_commands() -> None:
    """The exemption list cannot grow stale: each entry names a command the README has."""
    commands = readme_commands()
    for prefix in NOT_RUN:
        assert any(command.startswith(prefix) for command in commands), prefix


# -- running them ----------------------------------------------------------------------------

def _project(tmp_path: Path) -> Path:
    """A scratch project: the shipped folders beside the reader's own report files."""
    project = tmp_path / "project"
    project.mkdir()
    for folder in ("experiments", "labelsets", "prompts", "extractors", "optimizers"):
        os.symlink(REPO / folder, project / folder)
    # the reader's files: 40 demo test reports (every metric and extractor runs the same code
    # on them as on all 140, in a fraction of the time)
    demo = (REPO / "experiments" / "demo" / "test.jsonl").read_text().splitlines(True)[:40]
    for name in ("reports.jsonl", "refs.jsonl", "a.jsonl", "b.jsonl"):
        (project / name).write_text("".join(demo))
    (project / "mini").mkdir()
    for split, count in (("train", 60), ("dev", 30), ("test", 30)):
        lines = (REPO / "experiments" / "demo" / f"{split}.jsonl").read_text().splitlines(True)
        (project / "mini" / f"{split}.jsonl").write_text("".join(lines[:count]))
    (project / "mini" / "mini.yaml").write_text(
        "name: mini\nlabelset: chestxray21\nsynthetic: true\nsplits:\n  train: train.jsonl\n"
        "  dev: dev.jsonl\n  test: test.jsonl\n")
    return project


def _concrete(command: str, *, project: Path, base_url: str) -> list[str]:
    runs = sorted((project / "runs").glob("*/manifest.json"), key=lambda p: p.stat().st_mtime)
    if "<run>" in command:
        assert runs, f"no run yet for {command}"
        command = command.replace("runs/<run>", str(runs[-1].parent))
    command = command.replace(f"http://{_FAKE_PORT}/v1", base_url)
    argv = _argv(command)
    if argv[-1] == "...":
        argv[-1:] = ["--input", "reports.jsonl", "--output", "findings.jsonl"]
    if "vllm-qwen3-14b" in argv and "--api-base" not in argv:
        argv += ["--api-base", base_url]
    matching = [prefix for prefix in SHORTER if command.startswith(prefix)]
    if matching:
        argv += SHORTER[max(matching, key=len)]
    return argv[1:]


@pytest.mark.slow
@pytest.mark.timeout(1800)  # every README command in turn: minutes on a loaded machine
def test_readme_commands_run_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from radprompt.labelset import load_labelset
    from radprompt.testing import FakeOpenAIServer, GuidedAnswerer

    project = _project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("RADPROMPT_ALLOW_REMOTE", raising=False)
    runner = CliRunner()
    answerer = GuidedAnswerer(labelset=load_labelset("chestxray21"))
    ran = []
    with FakeOpenAIServer(answerer=answerer) as server:
        for command in readme_commands():
            if any(command.startswith(prefix) for prefix in NOT_RUN):
                continue
            assert command.startswith("radprompt "), f"not a radprompt command: {command}"
            argv = _concrete(command, project=project, base_url=server.base_url)
            started = time.perf_counter()
            result = runner.invoke(app, argv)
            print(f"{time.perf_counter() - started:6.1f} s  radprompt {shlex.join(argv)}")
            assert result.exit_code == 0, (f"{command}\n(ran as radprompt {shlex.join(argv)})"
                                           f"\n{result.output[-3000:]}")
            ran.append(command)
    assert len(ran) >= 15
