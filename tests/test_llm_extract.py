"""The LLM extractor over real HTTP (LiteLLM and the lean client) against the fake server.

Every fault the fake server can make is survived: the run finishes, failed reports carry
their reason (and raw answer), nothing computed is lost, and nothing is counted as absent.
"""

from __future__ import annotations

import pytest
from llm_support import (  # noqa: F401 - the fixtures are used by name
    BACKENDS,
    MINI_REPORTS,
    mini_fixture,
    mini_reports,
    private_cache_fixture,
    recipe_for,
    server_fixture,
)

from radprompt.extractors.base import ExtractionFailure
from radprompt.extractors.llm import LLMExtractor, LLMFindings
from radprompt.findings import State
from radprompt.testing import Behaviour


def run(mini, recipe, reports=None):
    extractor = LLMExtractor(labelset=mini, recipe=recipe)
    results = extractor.extract(reports if reports is not None else mini_reports())
    return results, extractor.usage_


def by_id(results):
    return {result.report_id: result for result in results}


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_request_per_report_and_none_the_second_time(mini, server, tmp_path, backend):
    recipe = recipe_for(server, tmp_path, backend=backend)
    results, usage = run(mini, recipe)
    assert server.request_count == len(MINI_REPORTS)
    assert usage.requests == len(MINI_REPORTS) and usage.prompt_tokens > 0
    for report_id, _, states in MINI_REPORTS:
        findings = by_id(results)[report_id]
        assert isinstance(findings, LLMFindings)
        for label in mini.labels:
            expected = states.get(label.id, "not_mentioned")
            if label.derived is None:
                assert findings.state(label.id).value == expected, (report_id, label.id)
    # No Finding is derived, not asked: present only for the report with nothing positive
    assert by_id(results)["m4"].state("no_finding") is State.PRESENT
    assert by_id(results)["m1"].state("no_finding") is State.ABSENT
    evidence = by_id(results)["m1"].finding("pleural_effusion").evidence
    assert evidence is not None and "pleural effusion" in evidence.text
    assert MINI_REPORTS[0][1][evidence.start:evidence.end] == evidence.text

    again, usage = run(mini, recipe)
    assert server.request_count == len(MINI_REPORTS)  # the cache answered everything
    assert usage.requests == 0 and usage.cache_hits == len(MINI_REPORTS)
    assert [r.to_json() for r in again] == [r.to_json() for r in results]


def test_label_mode_asks_once_per_label(mini, server, tmp_path):
    results, _ = run(mini, recipe_for(server, tmp_path, mode="label"))
    asked = [label for label in mini.labels if label.derived is None]
    assert server.request_count == len(MINI_REPORTS) * len(asked)
    assert by_id(results)["m2"].state("pneumonia") is State.UNCERTAIN


def test_concurrency_is_limited(mini, server, tmp_path):
    server.latency = 0.05
    run(mini, recipe_for(server, tmp_path, concurrency=2, mode="label"))
    assert server.peak_concurrency == 2


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_errors_are_retried(mini, server, tmp_path, backend, status):
    server.script(Behaviour.fail(status), Behaviour.fail(status), match="Right pneumothorax")
    results, usage = run(mini, recipe_for(server, tmp_path, backend=backend))
    assert not any(isinstance(r, ExtractionFailure) for r in results)
    assert by_id(results)["m6"].state("pneumothorax") is State.PRESENT
    assert usage.retries == 2


@pytest.mark.parametrize("backend", BACKENDS)
def test_persistent_errors_fail_the_report_with_the_reason(mini, server, tmp_path, backend):
    server.script(Behaviour.fail(500), match="Right pneumothorax", repeat=True)
    results, usage = run(mini, recipe_for(server, tmp_path, backend=backend))
    failure = by_id(results)["m6"]
    assert isinstance(failure, ExtractionFailure)
    assert "500" in failure.reason and "after 3 attempts" in failure.reason
    assert sum(isinstance(r, ExtractionFailure) for r in results) == 1
    assert usage.failed_requests == 1


def test_bad_request_is_not_retried(mini, server, tmp_path):
    server.script(Behaviour.fail(400), match="Right pneumothorax", repeat=True)
    results, usage = run(mini, recipe_for(server, tmp_path))
    assert isinstance(by_id(results)["m6"], ExtractionFailure)
    assert "HTTP 400" in by_id(results)["m6"].reason
    assert usage.retries == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_stalled_request_times_out_and_is_retried(mini, server, tmp_path, backend):
    server.script(Behaviour.stall(), match="Right pneumothorax")
    # the stall lasts an hour; 2 s is far beyond a normal answer of the fake server even on a
    # loaded two-core machine (at 0.3 s, normal answers timed out there too)
    results, usage = run(mini, recipe_for(server, tmp_path, backend=backend, timeout=2.0))
    assert by_id(results)["m6"].state("pneumothorax") is State.PRESENT
    assert usage.retries == 1


def test_a_server_that_never_answers_fails_with_timeout(mini, server, tmp_path):
    server.script(Behaviour.stall(), match="Right pneumothorax", repeat=True)
    results, _ = run(mini, recipe_for(server, tmp_path, timeout=2.0, max_attempts=2))
    failure = by_id(results)["m6"]
    assert isinstance(failure, ExtractionFailure) and "timeout" in failure.reason
    assert sum(isinstance(r, ExtractionFailure) for r in results) == 1


@pytest.mark.parametrize("fault", [Behaviour.truncated(), Behaviour.prose(),
                                   Behaviour.reply('{"pneumothorax": {"state": "present"}}')])
def test_unusable_answer_is_sent_back_with_the_problem(mini, server, tmp_path, fault):
    server.script(fault, match="Right pneumothorax")
    results, _ = run(mini, recipe_for(server, tmp_path))
    assert by_id(results)["m6"].state("pneumothorax") is State.PRESENT
    retry = [r for r in server.requests if len(r.messages) == 4]
    assert len(retry) == 1
    assert retry[0].messages[2]["role"] == "assistant"
    assert retry[0].messages[3]["content"].startswith("Your answer could not be used:")


@pytest.mark.parametrize("backend", BACKENDS)
def test_answers_that_never_fit_fail_with_the_raw_answer(mini, server, tmp_path, backend):
    server.script(Behaviour.prose(), match="Right pneumothorax", repeat=True)
    results, _ = run(mini, recipe_for(server, tmp_path, backend=backend, parse_retries=1))
    failure = by_id(results)["m6"]
    assert isinstance(failure, ExtractionFailure)  # never "absent"
    assert "unusable answer after 2 attempt(s)" in failure.reason
    assert failure.raw_output is not None and failure.raw_output.startswith("I am sorry")


def test_evidence_not_in_the_report_is_flagged_and_never_present(mini, server, tmp_path):
    invented = ('{"pneumothorax": {"state": "present", "evidence": "large tension pneumothorax"},'
                ' "pleural_effusion": "not_mentioned", "pneumonia": "not_mentioned",'
                ' "atelectasis": "not_mentioned", "support_devices": "not_mentioned"}')
    server.script(Behaviour.reply(invented), match="Right pneumothorax")
    results, _ = run(mini, recipe_for(server, tmp_path))
    findings = by_id(results)["m6"]
    assert isinstance(findings, LLMFindings)
    # Deliberately changed (issue 11): an invented quote no longer keeps its "present".
    assert findings.state("pneumothorax") is State.UNCERTAIN
    assert findings.finding("pneumothorax").evidence is None
    assert findings.to_json()["flags"] == [{"label": "pneumothorax", "problem":
                                           "evidence not in report",
                                           "quote": "large tension pneumothorax",
                                           "given": "present", "kept_as": "uncertain"}]


def test_every_fault_at_once_loses_nothing(mini, server, tmp_path):
    server.latency = 0.01
    server.script(Behaviour.fail(429), match="No pneumothorax. Small")
    server.script(Behaviour.stall(), match="Possible pneumonia")
    server.script(Behaviour.truncated(), match="Endotracheal tube")
    server.script(Behaviour.prose(), match="Lungs are clear", repeat=True)
    server.script(Behaviour.fail(500), match="Bibasilar", repeat=True)
    recipe = recipe_for(server, tmp_path, timeout=2.0, parse_retries=1)
    results, _ = run(mini, recipe)
    failed = {r.report_id: r.reason for r in results if isinstance(r, ExtractionFailure)}
    assert set(failed) == {"m4", "m5"}
    assert len(results) == len(MINI_REPORTS)
    # The faults go away; a re-run sends requests only for what is not cached yet.
    server.reset()
    again, usage = run(mini, recipe)
    assert not any(isinstance(r, ExtractionFailure) for r in again)
    assert server.request_count == 2  # m5 (never answered) and m4's repair after the prose
    assert usage.cache_hits >= 4
