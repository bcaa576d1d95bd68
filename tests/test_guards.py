"""Guard examples: loaded with the labelset, run like unit tests by ``radprompt labelsets test``."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from llm_support import (  # noqa: F401 - the fixtures are used by name
    mini_fixture,
    private_cache_fixture,
    server_fixture,
)
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.errors import InputError
from radprompt.findings import State
from radprompt.guards import check_guard_examples
from radprompt.labelset import load_labelset, read_yaml
from radprompt.optimizers.program import labelset_yaml
from radprompt.pipeline import build_extractor, extractor_fingerprint
from radprompt.testing import Behaviour, FakeOpenAIServer, RulesAnswerer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI = FIXTURES / "mini.yaml"
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(arg) for arg in args])


def flat(output: str) -> str:
    return " ".join(output.split())


def broken_mini(tmp_path: Path) -> Path:
    """A copy of the mini labelset whose Pneumothorax lost its main phrase and whose Pleural
    Effusion lost the bare 'effusion' (its examples come along in examples/mini/)."""
    data = read_yaml(MINI)
    for label in data["labels"]:
        if label["id"] == "pneumothorax":
            label["phrases"] = ["hydropneumothorax"]
        if label["id"] == "pleural_effusion":
            label["phrases"] = ["pleural effusion"]
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    shutil.copytree(FIXTURES / "examples", tmp_path / "examples")
    return path


def test_every_example_of_a_good_labelset_passes():
    result = run("labelsets", "test", MINI)
    assert result.exit_code == 0, result.output
    assert "18/18 guard examples passed (mini with rules; 6 labels, 0 failed" in flat(
        result.output)


def test_a_broken_copy_fails_with_a_readable_list(tmp_path):
    result = run("labelsets", "test", broken_mini(tmp_path))
    assert result.exit_code == 1, result.output
    text = flat(result.output)
    assert ("FAIL pneumothorax: 'Small right apical pneumothorax.' expected present, got "
            "not_mentioned") in text
    assert ("FAIL pleural_effusion: 'Possible effusion at the left base.' expected uncertain, "
            "got not_mentioned") in text
    assert "13/18 guard examples passed" in text
    table = text.split("labels with failing examples")[1]
    assert re.search(r"pneumothorax\W+1\W+4\W", table)  # passed, examples
    assert "no_finding" in table and "atelectasis" not in table


def test_only_the_labels_asked_for(tmp_path):
    result = run("labelsets", "test", broken_mini(tmp_path), "--label", "Pneumonia")
    assert result.exit_code == 0, result.output
    assert "3/3 guard examples passed" in flat(result.output)
    unknown = run("labelsets", "test", MINI, "--label", "gallstones")
    assert unknown.exit_code == 2
    assert "unknown label 'gallstones'; known: pneumothorax" in flat(unknown.output)


def test_the_library_call_reports_each_failure(tmp_path):
    labelset = load_labelset(broken_mini(tmp_path))
    report = check_guard_examples(labelset, build_extractor("rules", labelset=labelset))
    assert (report.total, report.passed, report.ok) == (18, 13, False)
    assert {f.label_id for f in report.failures} == {"pneumothorax", "pleural_effusion",
                                                     "no_finding"}
    first = report.failures[0]
    assert (first.label_id, first.expected, first.got) == (
        "pneumothorax", State.PRESENT, State.NOT_MENTIONED)
    assert report.by_label()["pneumothorax"] == (1, 4)
    assert report.by_label()["pneumonia"] == (3, 3)


def test_examples_are_merged_from_their_files():
    labelset = load_labelset(MINI)
    effusion = labelset.get("pleural_effusion")
    assert [e.state for e in effusion.examples] == ["present", "absent", "uncertain",
                                                    "not_mentioned"]
    assert effusion.examples[3].note == "look-alike"


def test_a_dumped_version_keeps_its_examples_inline_and_loads_them_once(tmp_path):
    labelset = load_labelset(MINI)
    text = labelset_yaml(labelset)
    assert "Small pericardial effusion." in text
    version = tmp_path / "versions" / "abc.yaml"
    version.parent.mkdir()
    version.write_text(text, encoding="utf-8")
    shutil.copytree(FIXTURES / "examples", version.parent / "examples")  # must be ignored
    again = load_labelset(version)
    assert again.get("pleural_effusion").examples == labelset.get("pleural_effusion").examples


def write_examples(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "mini.yaml"
    shutil.copy(MINI, path)
    (tmp_path / "examples" / "mini").mkdir(parents=True)
    (tmp_path / "examples" / "mini" / "core.yaml").write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("gallstones:\n  - {text: Gallstones., state: present}\n",
         "core.yaml, gallstones: unknown label id 'gallstones'; labelset 'mini' has: "
         "pneumothorax, pleural_effusion"),
        ("pneumothorax:\n  - {text: No pneumothorax., state: negative}\n",
         "core.yaml, pneumothorax[0].state: unknown state 'negative'; known: present, absent, "
         "uncertain, not_mentioned"),
        ("pneumothorax:\n  - {text: No pneumothorax., state: absent, colour: red}\n",
         "core.yaml, pneumothorax[0].colour: unknown key 'colour'"),
        ("pneumothorax:\n  - {text: Pneumothorax., state: present}\n"
         "  - {text: Pneumothorax., state: absent}\n",
         "core.yaml, pneumothorax: example 'Pneumothorax.' is given as both 'present' and "
         "'absent'"),
        ("pneumothorax: No pneumothorax.\n", "core.yaml, pneumothorax: expected a list"),
    ],
)
def test_a_bad_examples_file_is_one_clear_error(tmp_path, content, expected):
    path = write_examples(tmp_path, content)
    with pytest.raises(InputError):
        load_labelset(path)
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2
    assert expected in flat(result.output)


def test_the_llm_path_against_the_fake_server(tmp_path, server):
    server.script(Behaviour.prose(), match="No evidence of pneumonia", repeat=True)
    result = run("labelsets", "test", MINI, "--model", "hosted_vllm/fake-model",
                 "--api-base", server.base_url)
    text = flat(result.output)
    assert server.request_count >= 18  # every example went to the model (the prose one retried)
    assert "guard examples passed (mini with hosted_vllm/fake-model; 6 labels" in text
    assert ("ERROR pneumonia: 'No evidence of pneumonia.' expected absent, no usable answer"
            in text)
    assert result.exit_code == 1  # an example without an answer never counts as passed


def test_rules_with_an_llm_option_is_refused():
    result = run("labelsets", "test", MINI, "--extractor", "rules", "--api-base",
                 "http://127.0.0.1:9/v1")
    assert result.exit_code == 2
    assert "--api-base is an LLM option" in result.output


def test_a_label_without_examples_fails_validation(tmp_path):
    path = tmp_path / "bare.yaml"
    path.write_text("name: bare\nversion: '1'\nlabels:\n"
                    "  - {id: edema, name: Edema, definition: d, phrases: [edema],\n"
                    "     examples: [{text: No edema., state: absent}]}\n"
                    "  - {id: pneumonia, name: Pneumonia, definition: d, phrases: [pneumonia]}\n",
                    encoding="utf-8")
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2
    assert ("bare.yaml, labels[1] (id 'pneumonia'): label 'pneumonia' has no guard examples"
            in flat(result.output))
    extract = run("extract", "--labelset", path, "-i", FIXTURES / "mini.yaml", "-o",
                  tmp_path / "out.jsonl")
    assert extract.exit_code == 2 and "has no guard examples" in extract.output


@pytest.mark.parametrize("name", ["chestxray21", "chexpert14"])
def test_the_shipped_labelsets_pass_their_guard_examples_with_the_rule_engine(name):
    labelset = load_labelset(name)
    assert all(len(label.examples) >= 12 for label in labelset.labels)
    result = run("labelsets", "test", name)
    assert result.exit_code == 0, result.output
    assert "guard examples passed" in result.output


def test_a_broken_copy_of_a_shipped_labelset_fails(tmp_path):
    data = read_yaml(FIXTURES.parents[1] / "labelsets" / "chestxray21.yaml")
    for label in data["labels"]:
        if label["id"] == "pleural_effusion":
            label["phrases"] = ["hydrothorax"]  # 'effusion' and 'pleural effusion' removed
    path = tmp_path / "chestxray21.yaml"  # its examples are found by the labelset's name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    result = run("labelsets", "test", path, "--label", "pleural_effusion")
    assert result.exit_code == 1, result.output
    text = flat(result.output)
    assert ("FAIL pleural_effusion: 'Small left pleural effusion.' expected present, got "
            "not_mentioned") in text
    assert "FAIL pleural_effusion: 'No pleural effusion.' expected absent" in text


def test_a_shipped_labelset_through_the_llm_path(tmp_path):
    labelset = load_labelset("chexpert14")
    texts = [example.text for label in labelset.labels for example in label.examples]
    total = len(texts)
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=labelset)) as fake:
        result = run("labelsets", "test", "chexpert14", "--model", "hosted_vllm/fake-model",
                     "--api-base", fake.base_url, "--concurrency", "8")
        # one synthetic report per example; a text two labels share may come from the cache
        assert len(set(texts)) <= fake.request_count <= total
    text = flat(result.output)
    assert f"/{total} guard examples passed (chexpert14 with hosted_vllm/fake-model; 14 labels" \
        in text
    assert result.exit_code in (0, 1)  # the fake model answers by its own rules


def test_examples_do_not_change_what_an_extraction_resumes_onto():
    labelset = load_labelset(MINI)
    engine = build_extractor("rules", labelset=labelset)
    label = labelset.get("pneumonia")
    fewer = labelset.with_label(label.model_copy(update={"examples": label.examples[:1]}))
    narrower = labelset.with_label(label.model_copy(update={"phrases": ("bronchopneumonia",)}))
    fingerprint = extractor_fingerprint(engine, labelset=labelset)
    assert extractor_fingerprint(engine, labelset=fewer) == fingerprint
    assert extractor_fingerprint(engine, labelset=narrower) != fingerprint
