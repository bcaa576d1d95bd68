"""Run the fake server as a process: from a shell, or as the child of a benchmark.

Example::

    >>> with fake_server_process(latency=0.05, labelset_path="labelsets/chestxray21.yaml") as url:
    ...     server_stats(url)["requests"]
    0
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from radprompt.testing.fake_openai import Answerer, FakeOpenAIServer

__all__ = ["fake_server_process", "main", "server_stats"]


@contextmanager
def fake_server_process(
    *, latency: float, labelset_path: str | Path, answer: str = "rules",
    prepare: str | Path | None = None,
) -> Iterator[str]:
    """Run the fake server in a child process (its own GIL); yields its base URL.

    ``prepare`` is a JSONL file of conversations whose answers are worked out before serving.
    """
    command = [sys.executable, "-m", "radprompt.testing", "--latency", str(latency),
               "--answer", answer, "--labelset", str(labelset_path), "--until-stdin-closes"]
    if prepare is not None:
        command += ["--prepare", str(prepare)]
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"the fake server did not start: {line!r}")
        yield line.split()[1]
    finally:
        if child.stdin is not None:
            child.stdin.close()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def server_stats(base_url: str) -> dict[str, int]:
    """``{"requests": ..., "peak": ...}`` of a fake server, thread or process."""
    root = base_url.rsplit("/v1", 1)[0]
    with urllib.request.urlopen(f"{root}/_fake/stats", timeout=10) as response:
        return dict(json.loads(response.read()))


def main(argv: list[str] | None = None) -> None:
    """Serve the fake server from a shell: ``python -m radprompt.testing --help``."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per answer")
    parser.add_argument("--answer", choices=("rules", "guided", "empty"), default="rules",
                        help="rules: like the rule engine; guided: from the label guidance in "
                        "the prompt, and revising guidance on request (GuidedAnswerer)")
    parser.add_argument("--labelset", default="chestxray21", help="for --answer rules/guided")
    parser.add_argument("--vocabulary", help="for --answer guided: the labelset whose phrases "
                        "the reviser knows (default: --labelset)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--until-stdin-closes", action="store_true",
                        help="stop when stdin closes (for a parent process); else run until "
                        "interrupted")
    parser.add_argument("--prepare", help="JSONL of conversations ({'messages': [...]}) to "
                        "answer before serving (--answer rules)")
    args = parser.parse_args(argv)
    answerer: Answerer | None = None
    if args.answer == "rules":
        from radprompt.labelset import load_labelset
        from radprompt.testing.fake_answers import RulesAnswerer

        rules = RulesAnswerer(labelset=load_labelset(args.labelset))
        if args.prepare:
            with open(args.prepare, encoding="utf-8") as handle:
                rules.prepare(json.loads(line)["messages"] for line in handle if line.strip())
        answerer = rules
    elif args.answer == "guided":
        from radprompt.labelset import load_labelset
        from radprompt.testing.guided import GuidedAnswerer

        labels = load_labelset(args.labelset)
        vocabulary = load_labelset(args.vocabulary) if args.vocabulary else None
        answerer = GuidedAnswerer(labelset=labels, vocabulary=vocabulary)
    with FakeOpenAIServer(answerer=answerer, latency=args.latency, port=args.port,
                          keep_requests=False) as server:
        sys.stdout.write(f"READY {server.base_url}\n")
        sys.stdout.flush()
        try:
            if args.until_stdin_closes:
                sys.stdin.read()
            else:
                threading.Event().wait()
        except KeyboardInterrupt:
            pass
