"""The LLM judge against the loopback fake server: parsing, retries, failures, the cache."""

from __future__ import annotations

import json
import math

import pytest

from radprompt.llm import LLMRecipe
from radprompt.metrics.judge import DEFAULT_WEIGHTS, Judge, JudgementError, parse_judgement
from radprompt.testing import Behaviour, FakeOpenAIServer

CRITERIA = list(DEFAULT_WEIGHTS)


def grades(**scores: int) -> str:
    return json.dumps({name: {"justification": f"{name} ok", "score": scores.get(name, 5)}
                       for name in CRITERIA})


@pytest.fixture
def server():
    with FakeOpenAIServer(answerer=lambda messages: grades(accuracy=3, clarity=1)) as fake:
        yield fake


def recipe(server, **changes) -> LLMRecipe:
    settings = {"cache": False, **changes}
    return LLMRecipe(model="hosted_vllm/judge", api_base=server.base_url,
                     backend="openai_compatible", **settings)


def test_parse_judgement_reads_scores_and_justifications():
    parsed = parse_judgement("<think>hm</think>Here: " + grades(accuracy=2), criteria=CRITERIA)
    assert parsed.scores["accuracy"] == 2 and parsed.justifications["clarity"] == "clarity ok"


@pytest.mark.parametrize(("answer", "problem"), [
    ("no json here", "no JSON object"),
    ('{"accuracy": {"score": 5}}', "lacks key"),
    (grades(accuracy=7), "integer from 1 to 5"),
    ('{"accuracy": 5, "faithfulness": 5, "completeness": 5, "clarity": 5}', "justification"),
])
def test_parse_judgement_says_what_to_fix(answer, problem):
    with pytest.raises(JudgementError, match=problem):
        parse_judgement(answer, criteria=CRITERIA)


def test_weighted_total_and_rubric_prompt(server):
    result = Judge(recipe=recipe(server)).compute(predictions=["Small effusion."],
                                                  references=["No effusion."])
    expected = (DEFAULT_WEIGHTS["accuracy"] * 2 / 4 + DEFAULT_WEIGHTS["faithfulness"]
                + DEFAULT_WEIGHTS["completeness"]) / sum(DEFAULT_WEIGHTS.values())
    assert result.scores["score"] == pytest.approx(expected)
    assert result.scores["clarity"] == 1.0
    assert result.texts["accuracy_justification"] == ["accuracy ok"]
    messages = server.requests[0].messages
    assert "## completeness" in messages[0]["content"]
    assert messages[-1]["content"].endswith("Generated report:\nSmall effusion.")


def test_unusable_answer_is_sent_back_then_counted(server):
    server.script(Behaviour.prose(), match="retry-me")
    server.script(Behaviour.prose(), Behaviour.prose(), Behaviour.prose(), match="hopeless")
    result = Judge(recipe=recipe(server), parse_retries=2).compute(
        predictions=["retry-me", "hopeless"], references=["a", "b"])
    assert not math.isnan(result.per_sample["score"][0])
    assert math.isnan(result.per_sample["score"][1])
    assert any("1 pair(s) not judged" in note for note in result.notes)
    retried = [r for r in server.requests if "retry-me" in r.messages[1]["content"]]
    assert "could not be used" in retried[-1].messages[-1]["content"]


def test_answers_are_cached(server, tmp_path):
    cached = recipe(server, cache=True, cache_path=str(tmp_path / "judge.sqlite"))
    Judge(recipe=cached).compute(predictions=["x"], references=["y"])
    sent = len(server.requests)
    result = Judge(recipe=cached).compute(predictions=["x"], references=["y"])
    assert len(server.requests) == sent
    assert "1 cached" in result.notes[0]


def test_judge_needs_a_model():
    with pytest.raises(ValueError, match="needs a model"):
        Judge().compute(predictions=["x"], references=["y"])
