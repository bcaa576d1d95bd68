"""Answers are validated against the schema of the labels asked; problems read as feedback."""

from __future__ import annotations

import json

import pytest

from radprompt.findings import State
from radprompt.llm.parsing import AnswerError, answer_schema, locate_quote, parse_answer

IDS = ["pneumothorax", "pleural_effusion"]
REPORT = "No pneumothorax.\nSmall  left pleural effusion."


def answer(**states: object) -> str:
    return json.dumps(states)


def parse(text: str, **kwargs: object):
    return parse_answer(text, label_ids=IDS, report_text=REPORT, **kwargs)  # type: ignore[arg-type]


def test_valid_answer_with_evidence_spans():
    parsed = parse(answer(pneumothorax={"state": "absent", "evidence": "No pneumothorax"},
                          pleural_effusion={"state": "present",
                                            "evidence": "small left pleural effusion"}))
    assert parsed.states["pneumothorax"].state is State.ABSENT
    evidence = parsed.states["pleural_effusion"].evidence
    assert evidence is not None
    assert REPORT[evidence.start:evidence.end] == evidence.text == "Small  left pleural effusion"
    assert parsed.flags == ()


@pytest.mark.parametrize("wrapper", [
    "<think>Let me see... {not json}</think>\n{answer}",
    "```json\n{answer}\n```",
    "Here is the answer:\n{answer}\nHope this helps.",
])
def test_common_wrappers_are_accepted(wrapper):
    body = answer(pneumothorax={"state": "absent", "evidence": None},
                  pleural_effusion={"state": "not_mentioned", "evidence": None})
    parsed = parse(wrapper.replace("{answer}", body))
    assert parsed.states["pneumothorax"].state is State.ABSENT


def test_bare_states_and_extra_keys_are_tolerated():
    parsed = parse(answer(pneumothorax="absent", pleural_effusion="Present", no_finding="x"))
    assert parsed.states["pleural_effusion"].state is State.PRESENT
    assert set(parsed.states) == set(IDS)


@pytest.mark.parametrize(("text", "problem"), [
    ("I cannot answer that.", "no JSON object"),
    ('{"pneumothorax": {"state": "absent", "evid', "cut off"),
    ('{"pneumothorax": {"state": "absent"}, oops}', "malformed"),
    ("[1, 2]", "no JSON object"),
    (answer(pneumothorax="absent"), r"lacks key\(s\) pleural_effusion"),
    (answer(pneumothorax="maybe", pleural_effusion="absent"), "is not one of"),
    (answer(pneumothorax={"evidence": "x"}, pleural_effusion="absent"), 'has no "state"'),
    (answer(pneumothorax={"state": "absent", "evidence": 3}, pleural_effusion="absent"),
     "evidence must be"),
    ("<think>still thinking about the", "inside its <think>"),
])
def test_unusable_answers_say_what_to_fix(text, problem):
    with pytest.raises(AnswerError, match=problem):
        parse(text)


def test_length_stop_reads_as_cut_off():
    with pytest.raises(AnswerError, match="cut off"):
        parse('{"pneumothorax": {"state": "absent", "evidence": "No pneumo"} ', cut_off=True)


def test_evidence_not_in_report_is_flagged_not_trusted():
    parsed = parse(answer(pneumothorax={"state": "present", "evidence": "large pneumothorax"},
                          pleural_effusion={"state": "not_mentioned", "evidence": "ignored"}))
    assert parsed.states["pneumothorax"].state is State.PRESENT
    assert parsed.states["pneumothorax"].evidence is None
    assert [(f.label_id, f.quote) for f in parsed.flags] == [("pneumothorax",
                                                             "large pneumothorax")]


def test_locate_quote_tolerates_quotes_case_and_spacing():
    found = locate_quote('"small left PLEURAL effusion."', REPORT)
    assert found is not None and found.text == "Small  left pleural effusion."
    assert locate_quote("tension pneumothorax", REPORT) is None


def test_schema_lists_every_label():
    schema = answer_schema(IDS)
    assert schema["required"] == IDS
    assert schema["properties"]["pneumothorax"]["properties"]["state"]["enum"] == [
        state.value for state in State]
