"""Size caps on free text: kept or stripped per structured-output dialect, and the judges'
answers bounded by them.

What the real model did (issue 17, SmolLM2 on llama.cpp under the judges' schema): it wrote the
first justification until ``max_tokens``, every time, so every pair was cut off, asked again and
cut off again. ``Behaviour.rambling`` plays that model against the fake server; a grammar-decoding
server stops a string at its schema's ``maxLength``, which the fake honours as well. Two more
things SmolLM2 did under llama-cpp-python's grammar: a grade of 10 (the grammar ignores minimum /
maximum, so the grade is an enum) and a raw line break inside a string.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from radprompt.labelset import load_labelset
from radprompt.llm import LLMRecipe
from radprompt.llm.answer_size import schema_token_cap
from radprompt.llm.dialects import (
    auto_dialect,
    canonical_response_format,
    next_dialect,
    to_dialect,
)
from radprompt.metrics.judge import DEFAULT_WEIGHTS, JUSTIFICATION_CHARS, Judge, _Rubric
from radprompt.significance.llm_judges import DIFFERENCES_CHARS, OnePassJudge, one_pass_schema
from radprompt.testing import Behaviour, FakeOpenAIServer
from radprompt.testing.behaviours import sent_schema
from radprompt.testing.fake_judge import RulesJudgeAnswerer

CAPPED = {
    "type": "object", "additionalProperties": False, "required": ["why", "items", "maxLength"],
    "properties": {
        "why": {"type": "string", "minLength": 1, "maxLength": 80},
        "items": {"type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/Item"}},
        "maxLength": {"type": "string", "enum": ["maxLength", "other"]},
    },
    "$defs": {"Item": {"type": "object", "additionalProperties": False,
                       "properties": {"note": {"anyOf": [{"type": "string", "maxLength": 30},
                                                         {"type": "null"}]}}}},
}
REFERENCES = ["No pneumothorax. Small left pleural effusion.", "Right upper lobe pneumonia.",
              "Heart size is normal. Lungs are clear."]
CANDIDATES = ["No pneumothorax. Small right pleural effusion.", "Right upper lobe pneumonia.",
              "Cardiomegaly. Lungs are clear."]


def wire(dialect: str, max_tokens: int = 2048) -> dict[str, Any]:
    return to_dialect({"response_format": canonical_response_format(CAPPED, name="x"),
                       "max_tokens": max_tokens}, dialect)


def size_keywords(schema: Any) -> int:
    """``minLength`` / ``maxLength`` keywords (with a number: not a property so named)."""
    return len(re.findall(r'"m(?:ax|in)Length": \d', json.dumps(schema)))


# -- the dialects: one schema with its caps, kept or stripped ---------------------------------

@pytest.mark.parametrize("dialect", ["json_schema", "json_object", "ollama"])
def test_grammar_dialects_keep_the_caps_and_bound_max_tokens(dialect):
    sent = wire(dialect)
    schema = sent_schema(sent)
    assert schema == CAPPED
    assert sent["max_tokens"] == schema_token_cap(CAPPED) < 2048


def test_the_openai_dialect_strips_the_caps_and_leaves_max_tokens():
    sent = wire("openai")
    schema = sent_schema(sent)
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True
    assert size_keywords(schema) == 0 and size_keywords(CAPPED) == 3  # the canonical is intact
    assert schema["properties"]["maxLength"] == CAPPED["properties"]["maxLength"]  # a key, kept
    assert schema["$defs"]["Item"]["properties"]["note"]["anyOf"][0] == {"type": "string"}
    assert schema_token_cap(schema) is None and sent["max_tokens"] == 2048


def test_max_tokens_is_only_ever_lowered_and_none_sends_no_schema():
    assert wire("json_object", max_tokens=40)["max_tokens"] == 40
    assert wire("none") == {"max_tokens": 2048}


def test_auto_starts_hosted_providers_without_the_caps():
    assert auto_dialect(api_base=None, backend="litellm") == "openai"
    assert auto_dialect(api_base="http://127.0.0.1:8000/v1", backend="litellm") == "json_schema"
    assert auto_dialect(api_base="http://gpu-box:8000/v1",
                        backend="openai_compatible") == "json_schema"
    assert next_dialect("json_schema", "'maxLength' is not permitted.") == "openai"
    assert next_dialect("json_schema", "Input should be 'text' or 'json_object'") == "json_object"


def test_a_server_refusing_the_caps_costs_one_request_per_run():
    with FakeOpenAIServer(answerer=lambda messages: grades(), dialect="openai_strict") as fake:
        result = Judge(recipe=judge_recipe(fake, dialect="auto")).compute(
            predictions=CANDIDATES, references=REFERENCES)
        schemas = [sent_schema(request.params) for request in fake.requests]
    assert all(not math.isnan(value) for value in result.per_sample["score"])
    assert len(schemas) == len(REFERENCES) + 1
    assert size_keywords(schemas[0]) == 1  # one Grade in $defs
    assert all(size_keywords(schema) == 0 for schema in schemas[1:])


# -- the bound read from the schema --------------------------------------------------------------

def test_the_token_cap_needs_every_part_bounded():
    assert schema_token_cap(CAPPED) is not None
    free = {**CAPPED, "properties": {**CAPPED["properties"], "why": {"type": "string"}}}
    assert schema_token_cap(free) is None
    open_object = {key: value for key, value in CAPPED.items() if key != "additionalProperties"}
    assert schema_token_cap(open_object) is None
    endless = {"type": "array", "items": {"type": "boolean"}}
    assert schema_token_cap(endless) is None


def test_the_judges_schemas_are_bounded_and_grow_with_their_caps():
    rubric = _Rubric(tuple(DEFAULT_WEIGHTS))
    wider = _Rubric(tuple(DEFAULT_WEIGHTS), JUSTIFICATION_CHARS * 2)
    small, large = schema_token_cap(rubric.json_schema()), schema_token_cap(wider.json_schema())
    assert small is not None and large is not None
    assert large - small >= len(DEFAULT_WEIGHTS) * JUSTIFICATION_CHARS // 4
    # the grade is an enum: llama-cpp-python's grammar ignores minimum / maximum (SmolLM2 gave 10)
    grade = rubric.json_schema()["$defs"]["Grade"]["properties"]["score"]
    assert grade["enum"] == [1, 2, 3, 4, 5] and "maximum" not in grade
    verdict = one_pass_schema()
    assert verdict["properties"]["differences"]["maxLength"] == DIFFERENCES_CHARS
    assert "none" in verdict["properties"]["error_type"]["enum"]
    assert schema_token_cap(verdict) is not None


# -- the judges against a model that writes on -----------------------------------------------

def grades() -> str:
    return json.dumps({name: {"justification": f"{name} is fine", "score": 4}
                       for name in DEFAULT_WEIGHTS})


def judge_recipe(server: FakeOpenAIServer, *, dialect: str) -> LLMRecipe:
    """As extractors/llamacpp-local.yaml asks: structured output, one re-ask, 1,024 tokens."""
    return LLMRecipe(model="openai/smollm2", api_base=server.base_url, backend="openai_compatible",
                     structured_output=True, structured_output_dialect=dialect,  # type: ignore[arg-type]
                     max_tokens=1024, parse_retries=1, cache=False, concurrency=1)


def rambling_server(metric: str, dialect: str) -> FakeOpenAIServer:
    answerer = (RulesJudgeAnswerer(labelset=load_labelset("chestxray21"))
                if metric == "judge_one_pass" else lambda messages: grades())
    server = FakeOpenAIServer(answerer=answerer, dialect=dialect)
    server.script(Behaviour.rambling(), repeat=True)
    return server


def judge_for(metric: str, recipe: LLMRecipe) -> Judge | OnePassJudge:
    return OnePassJudge(recipe=recipe) if metric == "judge_one_pass" else Judge(recipe=recipe)


@pytest.mark.parametrize("metric", ["judge", "judge_one_pass"])
def test_without_the_cap_a_rambling_model_is_cut_off_on_every_pair(metric):
    """What SmolLM2 did: the schema as sent caps nothing, so every answer runs to max_tokens."""
    with rambling_server(metric, "openai") as fake:
        result = judge_for(metric, judge_recipe(fake, dialect="openai")).compute(
            predictions=CANDIDATES, references=REFERENCES)
        requests = fake.requests
    assert all(math.isnan(value) for value in result.per_sample["score"])
    # each pair asked twice more (the judges' parse_retries), cut off every time
    assert len(requests) == 3 * len(REFERENCES)
    assert all(request.params["max_tokens"] == 1024 for request in requests)
    assert any("cut off" in note for note in result.notes)


@pytest.mark.parametrize("metric", ["judge", "judge_one_pass"])
def test_with_the_cap_every_pair_is_judged_in_one_bounded_request(metric):
    with rambling_server(metric, "llamacpp") as fake:
        judge = judge_for(metric, judge_recipe(fake, dialect="json_object"))
        result = judge.compute(predictions=CANDIDATES, references=REFERENCES)
        requests = fake.requests
    assert not any(math.isnan(value) for value in result.per_sample["score"])
    assert len(requests) == len(REFERENCES)
    for request in requests:
        schema = sent_schema(request.params)
        assert request.params["response_format"]["type"] == "json_object"
        assert size_keywords(schema) >= 1
        assert request.params["max_tokens"] == schema_token_cap(schema) < 1024
        assert "(at most" in request.messages[0]["content"]  # the prompt says the cap too
    texts = result.texts["explanation" if metric == "judge_one_pass" else
                         "accuracy_justification"]
    cap = DIFFERENCES_CHARS if metric == "judge_one_pass" else JUSTIFICATION_CHARS
    assert all(len(text) == cap for text in texts)  # the model wrote on to the cap


def test_a_line_break_inside_a_string_is_read():
    """llama-cpp-python's grammar lets raw control characters into a string ([^"\\]); SmolLM2
    wrote a line break into the one-pass judge's differences (strict JSON refuses it)."""
    answer = ('{"differences": "The candidate says right.\nThe reference says left.", '
              '"significant_error": true, "error_type": "laterality_swap"}')
    with FakeOpenAIServer(answerer=lambda messages: answer, dialect="llamacpp") as fake:
        result = OnePassJudge(recipe=judge_recipe(fake, dialect="json_object")).compute(
            predictions=CANDIDATES[:1], references=REFERENCES[:1])
        assert fake.request_count == 1
    assert result.per_sample["score"] == [0.0]
    assert result.texts["explanation"] == ["The candidate says right.\nThe reference says left."]
