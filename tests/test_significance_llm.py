"""The one-pass and two-pass LLM evaluators and the paraphraser against the loopback fake server."""

from __future__ import annotations

import json
import math

import pytest

from radprompt.llm import LLMRecipe
from radprompt.reports import Report
from radprompt.significance.discrimination import evaluate_pairs
from radprompt.significance.llm_judges import (
    LLMParaphraser,
    OnePassJudge,
    TwoPassJudge,
    VerdictError,
    answer_object,
    error_types,
)
from radprompt.significance.perturb import Pair
from radprompt.testing import Behaviour, FakeOpenAIServer
from radprompt.testing.fake_judge import RulesJudgeAnswerer

REFERENCE = "FINDINGS: Small left pleural effusion. No pneumothorax."
CANDIDATES = [
    "FINDINGS: Small right pleural effusion. No pneumothorax.",   # laterality error
    "FINDINGS: No pneumothorax. Small left pleural effusion.",   # reordered
    REFERENCE,                                                    # unchanged
]


@pytest.fixture
def server(chestxray21):
    with FakeOpenAIServer(answerer=RulesJudgeAnswerer(labelset=chestxray21)) as fake:
        yield fake


def recipe(server) -> LLMRecipe:
    return LLMRecipe(model="hosted_vllm/fake-judge", api_base=server.base_url,
                     backend="openai_compatible", cache=False)


def test_one_pass_judges_each_pair_in_one_request(server):
    judge = OnePassJudge(recipe=recipe(server))
    result = judge.compute(predictions=CANDIDATES, references=[REFERENCE] * 3)
    assert list(result.sample_scores) == [0.0, 1.0, 1.0]
    assert result.texts["error_type"][0] == "laterality_swap"
    assert server.request_count == 3 and judge.usage_.requests == 3
    assert judge.usage_.prompt_tokens > 0 and judge.usage_.completion_tokens > 0
    system = server.requests[0].messages[0]["content"]
    for error in error_types():
        assert error["name"] in system
    assert server.requests[0].messages[-1]["content"].endswith(
        f"<candidate>\n{CANDIDATES[0]}\n</candidate>")


def test_two_pass_lists_then_judges_each_difference(server):
    judge = TwoPassJudge(recipe=recipe(server))
    result = judge.compute(predictions=CANDIDATES, references=[REFERENCE] * 3)
    assert list(result.sample_scores) == [0.5, 1.0, 1.0]  # 1 / (1 + significant differences)
    # 3 difference lists + one verdict for the laterality difference + one for the wording
    assert judge.usage_.requests == 5 == server.request_count
    assert "laterality_mismatches" in result.texts["explanation"][0]
    assert "(harmless)" in result.texts["explanation"][1]


def test_malformed_answers_are_sent_back_and_failures_score_nan(server):
    server.script(Behaviour.reply("no json"), match="Small right")
    server.script(Behaviour.fail(400), match="Large")
    judge = OnePassJudge(recipe=recipe(server), parse_retries=1)
    result = judge.compute(predictions=[CANDIDATES[0], "FINDINGS: Large effusion."],
                           references=[REFERENCE, REFERENCE])
    assert result.sample_scores[0] == 0.0  # answered on the second try
    assert any("could not be used" in request.messages[-1]["content"]
               for request in server.requests)
    assert math.isnan(result.sample_scores[1])
    assert any("not judged" in note for note in result.notes)


def test_judges_run_through_the_discrimination_evaluation(server):
    pairs = [Pair("a", "r", "laterality_swap", True, REFERENCE, CANDIDATES[0]),
             Pair("b", "r", "reordering", False, REFERENCE, CANDIDATES[1])]
    judges = {"one": OnePassJudge(recipe=recipe(server)),
              "two": TwoPassJudge(recipe=recipe(server))}
    evaluation = evaluate_pairs(pairs, metrics=judges)
    for name in judges:
        assert evaluation.rates[name].balance == 1.0
        assert evaluation.scores[name].usage["requests"] > 0
    # the unchanged reference is judged once (shared by both pairs)
    assert evaluation.scores["one"].usage["requests"] == 3


def test_paraphraser(server):
    server.script(Behaviour.reply("<report>\nFINDINGS: A small effusion on the left.\n</report>"),
                  match="r1-text")
    server.script(Behaviour.fail(400), match="r2-text")
    paraphrases = LLMParaphraser(recipe=recipe(server)).paraphrase(
        [Report("r1", "r1-text"), Report("r2", "r2-text")])
    assert paraphrases == {"r1": "FINDINGS: A small effusion on the left."}


def test_answer_object():
    assert answer_object('<think>x</think> ok {"a": 1} trailing') == {"a": 1}
    with pytest.raises(VerdictError, match="no JSON"):
        answer_object("nothing")
    with pytest.raises(VerdictError, match="cut off"):
        answer_object('{"a": ')
    assert json.loads(json.dumps(answer_object('{"b": [1]}'))) == {"b": [1]}
