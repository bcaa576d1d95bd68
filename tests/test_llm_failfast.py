"""LLM calls fail fast and say why, from the user's side (``radprompt extract``).

A configuration error stops the run at the first request, never retried; a server that cannot
be reached trips the circuit breaker; only requests that reached a server are counted; a
keyless OpenAI-compatible server on this machine works through ``openai/``; LLM findings carry
the same attributes as the rule engine's.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from llm_support import (  # noqa: F401 - the fixtures are used by name
    mini_fixture,
    private_cache_fixture,
    server_fixture,
    write_mini_corpus,
)
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.labelset import load_labelset
from radprompt.testing import Behaviour, FakeOpenAIServer, RulesAnswerer, synthetic_reports

MINI = "tests/fixtures/mini.yaml"
runner = CliRunner()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def extract(tmp_path: Path, *extra: str, corpus: Path | None = None,
            labelset: str = MINI):
    corpus = corpus or write_mini_corpus(tmp_path / "reports.jsonl")
    return runner.invoke(app, ["extract", "--labelset", labelset, "-i", str(corpus), "-o",
                               str(tmp_path / "out.jsonl"), "--no-cache", *extra])


def errors(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def test_a_closed_port_stops_10000_reports_within_seconds(tmp_path):
    labels = load_labelset("chestxray21")
    corpus = tmp_path / "many.jsonl"
    with corpus.open("w") as handle:
        for report in synthetic_reports(labelset=labels, count=10_000, seed=1):
            handle.write(json.dumps({"id": report.id, "text": report.text}) + "\n")
    started = time.perf_counter()
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base",
                     f"http://127.0.0.1:{closed_port()}/v1", corpus=corpus,
                     labelset="chestxray21")
    seconds = time.perf_counter() - started
    assert result.exit_code == 2, result.output
    assert seconds < 15, seconds
    [message] = errors(result.output)
    assert "connection failures in a row" in message and "is the server running" in message
    assert "0 report(s) finished before the stop are kept" in result.output
    assert "request(s) sent" not in result.output


@pytest.mark.parametrize(("status", "message"), [
    (401, "Incorrect API key provided"),
    (403, "forbidden"),
    (404, "The model `m` does not exist"),
    (400, "Unsupported parameter: 'response_format'"),
])
def test_a_configuration_error_stops_at_the_first_request(tmp_path, server, status, message):
    server.script(Behaviour.fail(status, message), repeat=True)
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base", server.base_url,
                     "--concurrency", "1")
    assert result.exit_code == 2, result.output
    [line] = errors(result.output)
    assert f"HTTP {status}" in line and "configuration error" in line and "retried" in line
    assert server.request_count == 1  # never retried, no second report tried


def test_a_bad_request_about_one_report_is_not_a_configuration_error(tmp_path, server):
    server.script(Behaviour.fail(400, "this report is longer than the context"),
                  match="Possible pneumonia")
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base", server.base_url)
    assert result.exit_code == 1, result.output
    assert "m2: extraction failed" in result.output and not errors(result.output)


def test_transient_errors_are_still_retried_and_counted_once_each(tmp_path, server):
    server.script(Behaviour.fail(503), match="Small left pleural effusion")
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base", server.base_url)
    assert result.exit_code == 0, result.output
    assert "7 request(s) sent" in result.output and "1 retried" in result.output
    assert server.request_count == 7


@pytest.mark.parametrize("backend", ["auto", "litellm"])
def test_openai_prefix_on_a_keyless_loopback_server_works(tmp_path, mini, monkeypatch, backend):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini)) as fake:
        result = extract(tmp_path, "--model", "openai/fake-model", "--api-base", fake.base_url,
                         "--backend", backend)
        assert result.exit_code == 0, result.output
        assert fake.request_count == 6
        assert fake.requests[0].params["response_format"]["type"] == "json_schema"


def test_no_structured_output_turns_the_schema_off(tmp_path, server):
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base", server.base_url,
                     "--no-structured-output")
    assert result.exit_code == 0, result.output
    assert all("response_format" not in request.params for request in server.requests)


def test_llm_findings_carry_the_rule_engines_attributes(tmp_path, server):
    result = extract(tmp_path, "--model", "hosted_vllm/m", "--api-base", server.base_url)
    assert result.exit_code == 0, result.output
    rules = runner.invoke(app, ["extract", "--labelset", MINI, "-i",
                                str(tmp_path / "reports.jsonl"), "-o",
                                str(tmp_path / "rules.jsonl")])
    assert rules.exit_code == 0, rules.output

    def attributes(name: str) -> dict[tuple[str, str], object]:
        found = {}
        for line in (tmp_path / name).read_text().splitlines():
            record = json.loads(line)
            for label, finding in record["findings"].items():
                found[record["id"], label] = finding.get("attributes")
        return found

    llm, engine = attributes("out.jsonl"), attributes("rules.jsonl")
    assert llm == engine
    assert llm["m1", "pleural_effusion"] == {"laterality": "left", "severity": "small"}
