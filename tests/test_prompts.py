"""Prompt templates and versions: layout, strictness, hashing, lineage, diffs."""

from __future__ import annotations

import json

import pytest

from radprompt.findings import Evidence, Finding, Findings, State
from radprompt.prompts import (
    Demo,
    PromptError,
    PromptVersion,
    default_guidance,
    diff_versions,
)
from radprompt.testing import approx_token_count


@pytest.fixture
def version(mini_labelset) -> PromptVersion:
    return PromptVersion.from_labelset(mini_labelset, mode="all")


def test_static_prefix_first_report_last(version, mini_labelset):
    messages = version.render("No pneumothorax.")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[-1]["content"].endswith("No pneumothorax.")
    assert "No pneumothorax." not in messages[0]["content"]
    asked = [label.id for label in mini_labelset.labels if label.derived is None]
    assert version.label_ids == asked  # derived labels are computed, never asked
    for label_id in asked:
        assert label_id in messages[0]["content"]
    # identical prefix for every report
    other = version.render("Right pleural effusion.")
    assert other[0] == messages[0]
    assert version.static_prefix() in "\n".join(m["content"] for m in other)


def test_static_prefix_share_of_chestxray21(chestxray21):
    version = PromptVersion.from_labelset(chestxray21)
    report = "Small left pleural effusion. No pneumothorax. Mild cardiomegaly."
    total = sum(approx_token_count(m["content"]) for m in version.render(report))
    assert approx_token_count(version.static_prefix()) / total > 0.9


def test_label_mode_asks_one_label_per_request(mini_labelset):
    version = PromptVersion.from_labelset(mini_labelset, mode="label")
    assert version.requests() == [(label_id,) for label_id in version.label_ids]
    system = version.render("x", label_id="pneumonia")[0]["content"]
    assert "pneumonia" in system and "pneumothorax" not in system
    with pytest.raises(PromptError, match="pass label_id"):
        version.render("x")


def test_guidance_comes_from_the_labelset(mini_labelset):
    effusion = mini_labelset.get("pleural_effusion")
    text = default_guidance(effusion)
    assert effusion.definition in text
    assert "pericardial effusion" in text  # the exclusion
    assert "effusion" in text


def test_hash_is_content_and_children_know_their_parent(version):
    assert version.hash == PromptVersion.from_json(version.to_json()).hash
    child = version.with_guidance({"pneumonia": "Infection of the lung parenchyma."},
                                  note="clinician wording")
    assert child.parent == version.hash and child.hash != version.hash
    assert child.note == "clinician wording"
    assert version.guidance["pneumonia"] != child.guidance["pneumonia"]  # never in place
    grandchild = child.with_guidance({"pneumonia": version.guidance["pneumonia"]})
    assert grandchild.hash == version.hash  # same content, same hash
    assert grandchild.parent == child.hash


def test_guidance_is_read_only_and_checked(version):
    with pytest.raises(TypeError):
        version.guidance["pneumonia"] = "x"  # type: ignore[index]
    with pytest.raises(PromptError, match="no such label"):
        version.with_guidance({"cardiomegaly": "x"})


def test_tampered_json_is_refused(version):
    data = version.to_json()
    data["guidance"]["pneumonia"] = "changed"
    with pytest.raises(PromptError, match="does not match its hash"):
        PromptVersion.from_json(data)


def test_demos_render_as_exact_answers(version):
    findings = Findings("d1", {"pleural_effusion": Finding(State.PRESENT,
                                                           Evidence(0, 14, "Small effusion"))})
    demo = Demo.from_findings("Small effusion.", findings)
    with_demo = version.with_demos([demo])
    system = with_demo.render("x")[0]["content"]
    answer = json.loads(demo.answer(version.label_ids))
    assert answer["pleural_effusion"] == {"state": "present", "evidence": "Small effusion"}
    assert answer["pneumothorax"] == {"state": "not_mentioned", "evidence": None}
    assert demo.answer(version.label_ids) in system
    assert with_demo.hash != version.hash


def test_retry_message_names_the_problem(version):
    message = version.retry_message("the JSON object lacks key(s) pneumonia")
    assert message["role"] == "user"
    assert "lacks key(s) pneumonia" in message["content"]


def test_strict_undefined_and_required_blocks(version):
    broken = "{% block system %}{{ no_such_variable }}{% endblock %}" \
             "{% block user %}{{ report }}{% endblock %}{% block retry %}{% endblock %}"
    with pytest.raises(PromptError, match="no_such_variable"):
        version.with_template(broken).render("x")
    with pytest.raises(PromptError, match="lacks block"):
        version.with_template("{% block system %}x{% endblock %}")
    leaky = "{% block system %}{{ report }}{% endblock %}{% block user %}{{ report }}" \
            "{% endblock %}{% block retry %}{% endblock %}"
    with pytest.raises(PromptError, match="user block"):
        version.with_template(leaky).render("x")


def test_diff_shows_only_what_changed(version):
    child = version.with_guidance({"pneumonia": "Infection of the lung parenchyma."})
    diff = diff_versions(version, child)
    assert "+Infection of the lung parenchyma." in diff
    changed = [line[1:] for line in diff.splitlines()
               if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
               and not line[1:].startswith("# prompt ")]
    old = version.guidance["pneumonia"].splitlines()
    assert sorted(changed) == sorted([*old, "Infection of the lung parenchyma."])
    assert diff_versions(version, version) == ""
