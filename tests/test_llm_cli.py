"""``radprompt extract --model ...``: same output as the rule engine, resumable, accountable."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from llm_support import (  # noqa: F401 - the fixtures are used by name
    MINI_REPORTS,
    mini_fixture,
    private_cache_fixture,
    server_fixture,
    write_mini_corpus,
)
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.labelset import load_labelset
from radprompt.llm.cache import ResponseCache
from radprompt.testing import Behaviour, synthetic_reports

MINI = "tests/fixtures/mini.yaml"
runner = CliRunner()


def extract(tmp_path: Path, server, *extra: str, output: str = "llm.jsonl"):
    corpus = write_mini_corpus(tmp_path / "reports.jsonl")
    return runner.invoke(app, [
        "extract", "--labelset", MINI, "-i", str(corpus), "-o", str(tmp_path / output),
        "--model", "hosted_vllm/fake-model", "--api-base", server.base_url,
        "--cache", str(tmp_path / "cache.sqlite"), *extra])


def test_llm_output_scores_like_the_rule_engine(tmp_path, server):
    result = extract(tmp_path, server)
    assert result.exit_code == 0, result.output
    assert "6 request(s) sent, 0 answered from the cache" in result.output
    assert "tokens" in result.output and "cost" in result.output
    rules = runner.invoke(app, ["extract", "--labelset", MINI, "-i",
                                str(tmp_path / "reports.jsonl"), "-o",
                                str(tmp_path / "rules.jsonl")])
    assert rules.exit_code == 0, rules.output
    llm_lines = (tmp_path / "llm.jsonl").read_text().splitlines()
    rules_lines = (tmp_path / "rules.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in llm_lines] == [r[0] for r in MINI_REPORTS]
    for llm_line, rules_line in zip(llm_lines, rules_lines, strict=True):
        llm_states = {k: v["state"] for k, v in json.loads(llm_line)["findings"].items()}
        rules_states = {k: v["state"] for k, v in json.loads(rules_line)["findings"].items()}
        assert llm_states == rules_states
    for predictions in ("llm.jsonl", "rules.jsonl"):
        scored = runner.invoke(app, ["score", "--labelset", MINI, "-p",
                                     str(tmp_path / predictions), "-r",
                                     str(tmp_path / "reports.jsonl"), "--json"])
        assert scored.exit_code == 0, scored.output
    again = extract(tmp_path, server)
    assert "0 request(s) sent, 6 answered from the cache" in again.output
    assert server.request_count == 6
    assert not (tmp_path / "llm.jsonl.partial.jsonl").exists()


def test_failed_reports_are_listed_and_retried_next_time(tmp_path, server):
    server.script(Behaviour.prose(), match="Lungs are clear", repeat=True)
    result = extract(tmp_path, server)
    assert result.exit_code == 1
    assert "m4: extraction failed: unusable answer" in result.output
    failed = [json.loads(line) for line in
              (tmp_path / "llm.jsonl.failed.jsonl").read_text().splitlines()]
    assert failed[0]["id"] == "m4" and failed[0]["raw_output"].startswith("I am sorry")
    written = [json.loads(line)["id"] for line in (tmp_path / "llm.jsonl").read_text().splitlines()]
    assert "m4" not in written and len(written) == 5  # not counted as absent
    server.reset()
    before = server.request_count
    retried = extract(tmp_path, server)
    assert retried.exit_code == 0, retried.output
    assert "5 from the unfinished run before" in retried.output
    assert server.request_count - before == 1  # only m4 is asked again


def test_rules_extractor_rejects_llm_options(tmp_path, server):
    corpus = write_mini_corpus(tmp_path / "reports.jsonl")
    result = runner.invoke(app, ["extract", "--labelset", MINI, "-i", str(corpus), "-o",
                                 str(tmp_path / "out.jsonl"), "--concurrency", "4"])
    assert result.exit_code == 2
    assert "LLM option" in result.output


def test_changed_configuration_does_not_mix_with_an_unfinished_run(tmp_path, server):
    server.script(Behaviour.prose(), match="Lungs are clear", repeat=True)
    assert extract(tmp_path, server).exit_code == 1
    changed = extract(tmp_path, server, "--temperature", "0.7")
    assert changed.exit_code == 2 and "--restart" in changed.output
    restarted = extract(tmp_path, server, "--temperature", "0.7", "--restart")
    assert restarted.exit_code == 1 and "from the unfinished run" not in restarted.output


def test_a_killed_extraction_continues_where_it_stopped(tmp_path, mini, server):
    server.latency = 0.15
    reports = synthetic_reports(labelset=load_labelset(MINI), count=12, seed=3)
    corpus = tmp_path / "reports.jsonl"
    corpus.write_text("".join(json.dumps({"id": r.id, "text": r.text}) + "\n"
                              for r in reports))
    output, cache_path = tmp_path / "out.jsonl", tmp_path / "cache.sqlite"
    journal = tmp_path / "out.jsonl.partial.jsonl"
    command = [str(Path(sys.executable).parent / "radprompt"), "extract", "--labelset", MINI,
               "-i", str(corpus), "-o", str(output), "--model", "hosted_vllm/fake-model",
               "--api-base", server.base_url, "--cache", str(cache_path), "-j", "1"]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=os.environ.copy())
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= 4:  # header + 3
            break
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert not output.exists()
    journaled = len(journal.read_text().splitlines()) - 1
    cached = len(ResponseCache(path=cache_path))
    assert 3 <= journaled < len(reports)
    sent_before = server.request_count

    result = runner.invoke(app, command[1:])
    assert result.exit_code == 0, result.output
    assert f"{journaled} from the unfinished run before" in result.output
    assert server.request_count - sent_before == len(reports) - cached
    ids = [json.loads(line)["id"] for line in output.read_text().splitlines()]
    assert ids == [r.id for r in reports]
    assert not journal.exists()
