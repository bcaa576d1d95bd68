"""What real models and servers did that the fake never did, reproduced against the fake.

Each test is one thing a real local model (SmolLM2 on llama-cpp-python's server, issue 17)
showed: a server refusing OpenAI's ``json_schema`` structured output with HTTP 500 (retried four
times per report before), a re-ask conversation growing past the model's context (HTTP 400),
answers after a ``<think>`` block, answers cut at ``max_tokens``, and JSON that drifts from the
schema (wrapped in an outer key, labels written by name).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from llm_support import (
    extract_mini,
    mini_fixture,
    mini_reports,
    private_cache_fixture,
    recipe_for,
    server_fixture,
)

from radprompt.extractors.base import ExtractionFailure
from radprompt.extractors.llm import LLMExtractor
from radprompt.labelset import LabelSet
from radprompt.llm import ConfigurationError
from radprompt.testing import Behaviour, FakeOpenAIServer, RulesAnswerer

__all__ = ["mini_fixture", "private_cache_fixture", "server_fixture"]


@pytest.fixture(name="llamacpp")
def llamacpp_fixture(mini: LabelSet) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini), dialect="llamacpp") as fake:
        yield fake


def _failures(results):
    return [result for result in results if isinstance(result, ExtractionFailure)]


def test_llamacpp_refusing_json_schema_costs_one_request_per_run(llamacpp, tmp_path, mini):
    results, usage = extract_mini(llamacpp, tmp_path, mini, structured_output=True, concurrency=1)
    assert _failures(results) == []
    formats = [request.params.get("response_format") for request in llamacpp.requests]
    assert len(formats) == len(mini_reports()) + 1  # one refused request, then its dialect
    assert formats[0]["type"] == "json_schema"
    assert all(f["type"] == "json_object" and f["schema"]["required"] for f in formats[1:])
    assert usage.retries == 0


def test_the_recipe_can_name_the_dialect(llamacpp, tmp_path, mini):
    results, _ = extract_mini(llamacpp, tmp_path, mini, structured_output=True,
                              structured_output_dialect="json_object")
    assert _failures(results) == []
    assert llamacpp.request_count == len(mini_reports())


def test_ollama_dialect_sends_format(server, tmp_path, mini):
    extract_mini(server, tmp_path, mini, structured_output=True, structured_output_dialect="ollama")
    params = server.requests[0].params
    assert "response_format" not in params and params["format"]["type"] == "object"


def test_structured_output_refused_in_every_dialect_stops_the_run_at_once(server, tmp_path, mini):
    server.script(Behaviour.fail(500, "response_format.type: Input should be 'text'"),
                  repeat=True)
    with pytest.raises(ConfigurationError, match="refused structured output"):
        extract_mini(server, tmp_path, mini, structured_output=True, concurrency=1)
    assert server.request_count == 2  # json_schema, then json_object; never per report


def test_max_tokens_is_lowered_to_what_the_context_leaves(mini, tmp_path):
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini), context_length=2048) as fake:
        results, _ = extract_mini(fake, tmp_path, mini, context_length=2048, max_tokens=4096)
        assert _failures(results) == []
        sent = [request.params["max_tokens"] for request in fake.requests]
    assert all(256 <= tokens < 2048 for tokens in sent), sent


def test_a_prompt_over_the_context_fails_its_report_unsent(server, tmp_path, mini):
    results, usage = extract_mini(server, tmp_path, mini, context_length=256)
    failures = _failures(results)
    assert len(failures) == len(mini_reports())
    assert "context length of 256 tokens" in failures[0].reason
    assert server.request_count == 0 and usage.failure_reasons == {"context length": 6}


def test_a_reask_that_would_overflow_the_context_is_trimmed(mini, tmp_path):
    rambling = "The report includes a summary of the findings. " * 120
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini), context_length=2200) as fake:
        fake.script(Behaviour.reply(rambling), match="Right pneumothorax")
        recipe = recipe_for(fake, tmp_path, context_length=2200, max_tokens=512)
        extractor = LLMExtractor(labelset=mini, recipe=recipe)
        results = extractor.extract([mini_reports()[-1]])
        assert _failures(results) == []
        reask = fake.requests[1].messages
    answer = next(m["content"] for m in reask if m["role"] == "assistant")
    assert len(answer) < 450 < len(rambling)


@pytest.mark.parametrize("behaviour", [Behaviour.thinking(), Behaviour.wrapped("findings")],
                         ids=["think-block", "wrapped-object"])
def test_thinking_and_a_wrapped_object_are_read_at_once(server, tmp_path, mini, behaviour):
    server.script(behaviour, repeat=True)
    results, _ = extract_mini(server, tmp_path, mini)
    assert _failures(results) == []
    assert server.request_count == len(mini_reports())


def test_labels_written_by_name_are_read(server, tmp_path, mini):
    answer = {label.name: {"state": "absent", "evidence": None} for label in mini.labels}
    server.script(Behaviour.reply(json.dumps(answer)), repeat=True)
    results, _ = extract_mini(server, tmp_path, mini)
    assert _failures(results) == [] and server.request_count == len(mini_reports())


@pytest.mark.parametrize(("first", "problem"), [
    (Behaviour.truncated(), "cut off"),
    (Behaviour.reply("<think>\nThe report says"), "inside its <think>"),
], ids=["cut-at-max-tokens", "thinking-never-ends"])
def test_an_unfinished_answer_is_asked_again_with_the_reason(server, tmp_path, mini, first,
                                                             problem):
    server.script(first, match="Right pneumothorax")
    results, _ = extract_mini(server, tmp_path, mini)
    assert _failures(results) == []
    reasks = [r for r in server.requests if any(m["role"] == "assistant" for m in r.messages)]
    assert len(reasks) == 1 and problem in reasks[0].messages[-1]["content"]
