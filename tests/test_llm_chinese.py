"""The LLM path on reports in Chinese (issue 16 item 6): the same templates, Chinese evidence.

The loopback fake server plays the model. Every report here is SYNTHETIC (the Chinese demo
split, experiments/demo-zh).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.extractors.rules import RulesExtractor
from radprompt.labelset import LabelSet, load_labelset
from radprompt.reports import Report
from radprompt.testing import FakeOpenAIServer, RulesAnswerer

DEMO_ZH = Path(__file__).resolve().parents[1] / "experiments" / "demo-zh"
runner = CliRunner()


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def chestxray21() -> LabelSet:
    return load_labelset("chestxray21")


def _reports(name: str, count: int) -> list[dict[str, Any]]:
    lines = (DEMO_ZH / name).read_text(encoding="utf-8").splitlines()[:count]
    return [json.loads(line) for line in lines]


def _extract(tmp_path: Path, server: FakeOpenAIServer, reports: list[dict[str, Any]],
             name: str) -> list[dict[str, Any]]:
    source, output = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.findings.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in reports),
                      encoding="utf-8")
    result = runner.invoke(app, [
        "extract", "--labelset", "chestxray21", "--model", "hosted_vllm/fake",
        "--api-base", server.base_url, "-i", str(source), "-o", str(output)])
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]


def test_chinese_reports_through_the_same_templates(tmp_path: Path, chestxray21: LabelSet) -> None:
    chinese, english = _reports("test.jsonl", 6), _reports("test.en.jsonl", 6)
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=chestxray21)) as server:
        found = _extract(tmp_path, server, chinese, "zh")
        zh_requests = server.requests
        server.reset()
        _extract(tmp_path, server, english, "en")
        en_requests = server.requests
    # the prompt is the same; only the report at the end of the last message differs
    assert zh_requests[0].messages[:-1] == en_requests[0].messages[:-1]
    zh_last = {r.messages[-1]["content"] for r in zh_requests}
    en_last = {r.messages[-1]["content"] for r in en_requests}
    prefixes = {m[:-len(r["text"])] for m in zh_last for r in chinese if m.endswith(r["text"])}
    prefixes |= {m[:-len(r["text"])] for m in en_last for r in english if m.endswith(r["text"])}
    assert len(zh_last) == len(chinese) and len(prefixes) == 1
    engine = RulesExtractor(labelset=chestxray21)
    for record, row in zip(chinese, found, strict=True):
        expected = engine.extract_report(Report(record["id"], record["text"]))
        for label_id, value in row["findings"].items():
            assert value["state"] == expected.state(label_id).value, (label_id, record["text"])
            if value.get("evidence"):
                assert record["text"][value["start"]:value["end"]] == value["evidence"]


class _SpacedQuotes:
    """A model that answers like the rule engine but quotes the report with spaces added, a
    half-width comma and quote marks, and once quotes what the report does not say."""

    def __init__(self, labelset: LabelSet) -> None:
        self.rules = RulesAnswerer(labelset=labelset)

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        answer = json.loads(self.rules(messages))
        answer["pneumonia"] = {"state": "present", "evidence": "“右下肺斑片影 , 考虑 肺炎”",
                               "attributes": None}
        answer["pneumothorax"] = {"state": "absent", "evidence": "未见 气胸"}
        answer["pleural_effusion"] = {"state": "present", "evidence": "左侧少量胸腔积液",
                                      "attributes": None}
        return json.dumps(answer, ensure_ascii=False)


def test_chinese_evidence_is_found_without_relying_on_spaces(
        tmp_path: Path, chestxray21: LabelSet) -> None:
    text = "影像所见：\n右下肺斑片影，考虑肺炎。\n未见气胸。"
    with FakeOpenAIServer(answerer=_SpacedQuotes(chestxray21)) as server:
        [row] = _extract(tmp_path, server, [{"id": "z1", "text": text}], "spaced")
    pneumonia, pneumothorax = row["findings"]["pneumonia"], row["findings"]["pneumothorax"]
    assert pneumonia["state"] == "present"
    assert pneumonia["evidence"] == "右下肺斑片影，考虑肺炎"
    assert text[pneumonia["start"]:pneumonia["end"]] == pneumonia["evidence"]
    assert pneumothorax["evidence"] == "未见气胸"
    # a quote that is not in the report is still not evidence: present becomes uncertain
    assert row["findings"]["pleural_effusion"]["state"] == "uncertain"
