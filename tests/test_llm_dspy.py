"""The DSPy program: what an optimizer changes still renders through our Jinja template."""

from __future__ import annotations

import json

import pytest

dspy = pytest.importorskip("dspy")

from dspy.utils import DummyLM  # noqa: E402
from llm_support import (  # noqa: E402, F401 - the fixtures are used by name
    mini_fixture,
    private_cache_fixture,
    server_fixture,
)

from radprompt.llm import LLMRecipe  # noqa: E402
from radprompt.llm.dspy_program import (  # noqa: E402
    FindingsProgram,
    JinjaAdapter,
    dspy_lm,
    examples_from_dataset,
)
from radprompt.llm.privacy import RemoteProviderError  # noqa: E402
from radprompt.prompts import PromptVersion  # noqa: E402
from radprompt.reports import read_dataset  # noqa: E402


@pytest.fixture
def version(mini) -> PromptVersion:
    return PromptVersion.from_labelset(mini)


def answer_for(version: PromptVersion, **states: str) -> str:
    return json.dumps({label_id: {"state": states.get(label_id, "not_mentioned"),
                                  "evidence": "pneumothorax" if label_id in states else None}
                       for label_id in version.label_ids})


def test_one_request_rendered_by_our_template(version):
    program = FindingsProgram(version=version)
    lm = DummyLM([{"answer": answer_for(version, pneumothorax="absent")}],
                 adapter=JinjaAdapter(version=version))
    with dspy.context(lm=lm):
        prediction = program(report="No pneumothorax.")
    assert prediction.findings["pneumothorax"] == "absent"
    assert prediction.evidence["pneumothorax"] == "pneumothorax"
    assert len(lm.history) == 1
    assert lm.history[0]["messages"] == version.render("No pneumothorax.")


def test_optimized_instructions_become_a_child_version(version):
    program = FindingsProgram(version=version)
    assert [name for name, _ in program.named_predictors()] == [
        f"labels['{label_id}']" for label_id in version.label_ids]
    assert program.prompt_version().hash == version.hash
    predictor = program.labels["pneumonia"]
    predictor.signature = predictor.signature.with_instructions("Lung infection; air-space "
                                                                "opacity with fever.")
    child = program.prompt_version()
    assert child.parent == version.hash and child.hash != version.hash
    lm = DummyLM([{"answer": answer_for(version)}], adapter=JinjaAdapter(version=version))
    with dspy.context(lm=lm):
        program(report="Clear lungs.")
    assert "Lung infection; air-space opacity with fever." in lm.history[0]["messages"][0][
        "content"]


def test_each_label_predictor_gets_its_trace(version):
    program = FindingsProgram(version=version)
    lm = DummyLM([{"answer": answer_for(version, pneumothorax="present")}],
                 adapter=JinjaAdapter(version=version))
    with dspy.context(lm=lm, trace=[]):
        program(report="Right pneumothorax.")
        trace = dspy.settings.trace
    assert [entry[0] for entry in trace] == list(program.labels.values())
    assert json.loads(trace[0][2].answer) == {"pneumothorax": {"state": "present",
                                                               "evidence": "pneumothorax"}}


def test_demos_chosen_by_an_optimizer_are_rendered(version, mini, tmp_path):
    corpus = tmp_path / "train.jsonl"
    corpus.write_text(json.dumps({"id": "t1", "text": "Right pneumothorax.",
                                  "labels": {"pneumothorax": "present"}}) + "\n")
    examples = examples_from_dataset(read_dataset(corpus, labelset=mini))
    program = FindingsProgram(version=version)
    program.labels["pneumothorax"].demos = examples
    child = program.prompt_version()
    assert len(child.demos) == 1 and child.parent == version.hash
    assert "Right pneumothorax." in child.render("x")[0]["content"]


def test_malformed_answer_is_a_parse_error(version):
    from dspy.utils.exceptions import AdapterParseError

    program = FindingsProgram(version=version)
    lm = DummyLM([{"answer": "not json"}], adapter=JinjaAdapter(version=version))
    with dspy.context(lm=lm), pytest.raises(AdapterParseError):
        program(report="x")


def test_dspy_lm_goes_through_litellm_to_the_fake_server(version, server):
    lm = dspy_lm(LLMRecipe(model="hosted_vllm/fake-model", api_base=server.base_url,
                           cache=False))
    with dspy.context(lm=lm):
        prediction = FindingsProgram(version=version)(report="Small pleural effusion.")
    assert prediction.findings["pleural_effusion"] == "present"
    assert server.request_count == 1


def test_dspy_lm_respects_privacy():
    with pytest.raises(RemoteProviderError):
        dspy_lm(LLMRecipe(model="openai/gpt-4o-mini"))
