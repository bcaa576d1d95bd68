"""The compact answer (``mode: mentioned``) for small or slow models, against the fake server.

A real small model (SmolLM2-135M on two CPU cores, issue 17) writes about 12 tokens a second; an
all-labels answer with an entry per label was ~780 tokens, about a minute per report. In mode
``mentioned`` the answer lists only the labels the report mentions.
"""

from __future__ import annotations

import json

import pytest
from llm_support import (
    extract_mini,
    mini_fixture,
    mini_reports,
    private_cache_fixture,
    server_fixture,
)

from radprompt.extractors.base import ExtractionFailure
from radprompt.extractors.llm import LLMFindings
from radprompt.findings import State
from radprompt.labelset import read_yaml
from radprompt.llm import LLMRecipe
from radprompt.llm.calls import AnswerError
from radprompt.llm.compact import answer_token_cap, parse_mentioned
from radprompt.llm.parsing import parse_answer
from radprompt.prompts import Demo, PromptVersion
from radprompt.resources import find_resource
from radprompt.testing import Behaviour, RulesAnswerer

__all__ = ["mini_fixture", "private_cache_fixture", "server_fixture"]


def _states(results):
    return [{label: finding.state for label, finding in result.states.items()}
            for result in results]


def test_mentioned_mode_finds_what_all_mode_finds_with_a_smaller_answer(server, tmp_path, mini):
    full, full_usage = extract_mini(server, tmp_path / "all", mini, mode="all")
    compact, usage = extract_mini(server, tmp_path / "mentioned", mini, mode="mentioned")
    assert not any(isinstance(result, ExtractionFailure) for result in compact)
    assert _states(compact) == _states(full)
    assert usage.requests == len(mini_reports())
    assert usage.completion_tokens < full_usage.completion_tokens / 2
    version = PromptVersion.from_labelset(mini, mode="mentioned")
    answers = [json.loads(RulesAnswerer(labelset=mini)(version.render(report.text)))
               for report in mini_reports()]
    assert all(set(entry) == {"state", "evidence"} and entry["state"] != "not_mentioned"
               for answer in answers for entry in answer.values())


def test_structured_output_sends_the_compact_schema_and_a_bounded_max_tokens(server, tmp_path,
                                                                              mini):
    results, _ = extract_mini(server, tmp_path, mini, mode="mentioned", structured_output=True,
                              max_tokens=4096)
    asked = PromptVersion.from_labelset(mini, mode="mentioned").label_ids
    assert not any(isinstance(result, ExtractionFailure) for result in results)
    for request in server.requests:
        schema = request.params["response_format"]["json_schema"]["schema"]
        assert "required" not in schema and set(schema["properties"]) == set(asked)
        entry = next(iter(schema["properties"].values()))
        assert "not_mentioned" not in entry["properties"]["state"]["enum"]
        assert request.params["max_tokens"] < 4096


def test_max_tokens_is_left_alone_without_structured_output(server, tmp_path, mini):
    extract_mini(server, tmp_path, mini, mode="mentioned", structured_output=False, max_tokens=4096)
    assert {request.params["max_tokens"] for request in server.requests} == {4096}


def test_a_rerun_is_served_from_the_cache(server, tmp_path, mini):
    extract_mini(server, tmp_path, mini, mode="mentioned", structured_output=True)
    sent = server.request_count
    _, usage = extract_mini(server, tmp_path, mini, mode="mentioned", structured_output=True)
    assert server.request_count == sent and usage.cache_hits == len(mini_reports())


def test_a_quote_not_in_the_report_is_flagged_and_present_kept_uncertain(server, tmp_path, mini):
    label = mini.ids[0]
    server.script(Behaviour.reply(json.dumps({label: {"state": "present",
                                                      "evidence": "words the report lacks"}})),
                  repeat=True)
    results, _ = extract_mini(server, tmp_path, mini, mode="mentioned", concurrency=1)
    result = results[0]
    assert isinstance(result, LLMFindings)
    assert result.states[label].state is State.UNCERTAIN and result.downgraded == (label,)


def test_keys_that_are_not_ids_are_sent_back(server, tmp_path, mini):
    server.script(Behaviour.reply('{"the lungs": {"state": "present", "evidence": "x"}}'))
    results, usage = extract_mini(server, tmp_path, mini, mode="mentioned", concurrency=1)
    assert not any(isinstance(result, ExtractionFailure) for result in results)
    assert usage.requests == len(mini_reports()) + 1  # one re-ask
    assert any("not finding ids" in request.messages[-1]["content"]
               for request in server.requests)


@pytest.mark.parametrize(("answer", "expected"), [
    ("{}", {}),
    ('{"Pleural Effusion": {"state": "absent", "evidence": "No effusion"}}',
     {"pleural_effusion": State.ABSENT}),
    ('{"findings": [{"label": "edema", "state": "present", "evidence": "Edema"}]}',
     {"edema": State.PRESENT}),
    ('{"edema": "uncertain", "unknown_key": {"state": "present"}}', {"edema": State.UNCERTAIN}),
])
def test_compact_answers_as_small_models_write_them(answer, expected):
    parsed = parse_mentioned(answer, label_ids=["edema", "pleural_effusion"],
                             report_text="Edema. No effusion.")
    assert {label: finding.state for label, finding in parsed.states.items()} == expected


def test_a_single_label_written_by_name_is_not_unwrapped_as_an_outer_key():
    # regression: undrift took a lone key it did not know for a wrapper around the answer
    parsed = parse_answer('{"Pleural Effusion": {"state": "absent", "evidence": null}}',
                          label_ids=["pleural_effusion"], report_text="No effusion.")
    assert parsed.states["pleural_effusion"].state is State.ABSENT


def test_not_a_compact_answer_says_what_to_fix():
    with pytest.raises(AnswerError, match="not finding ids"):
        parse_mentioned('{"lungs": "clear"}', label_ids=["edema"], report_text="Clear.")
    with pytest.raises(AnswerError, match="no JSON object"):
        parse_mentioned("The report is normal.", label_ids=["edema"], report_text="Normal.")


def test_the_token_cap_grows_with_the_schema_and_is_smaller_for_compact_answers():
    ids = ["edema", "pneumothorax", "pleural_effusion"]
    report = "x" * 2000
    mentioned = answer_token_cap(label_ids=ids, mode="mentioned", report_text=report)
    assert mentioned < answer_token_cap(label_ids=ids, mode="all", report_text=report)
    assert mentioned < answer_token_cap(label_ids=[*ids, "edema_2"], mode="mentioned",
                                        report_text=report)
    # an evidence quote is never longer than the report
    assert answer_token_cap(label_ids=ids, mode="mentioned", report_text="Clear.") < mentioned


def test_demos_render_compact_and_the_mode_is_part_of_the_hash(mini):
    demo = Demo(report="Small left effusion.", findings={
        mini.ids[0]: ("present", "Small left effusion.")})
    version = PromptVersion.from_labelset(mini, mode="mentioned").with_demos([demo])
    system = version.render("No acute findings.")[0]["content"]
    answer = json.dumps({mini.ids[0]: {"state": "present", "evidence": "Small left effusion."}})
    assert answer in system and "not_mentioned" not in system.split("Examples:")[1]
    assert version.hash != PromptVersion.from_labelset(mini, mode="all").with_demos([demo]).hash


def test_the_local_recipe_asks_for_the_compact_answer():
    recipe = LLMRecipe.model_validate(read_yaml(find_resource("extractors", "llamacpp-local",
                                                              suffix=".yaml")))
    assert recipe.mode == "mentioned" and recipe.uses_structured_output
