"""Chinese and English wordings of one chest radiograph statement read alike (issue 16).

tests/fixtures/zh_pairs.jsonl holds SYNTHETIC sentence pairs written by the radprompt authors
(normal statements, negations, both hedge strengths, devices, common findings); the rule engine
must give every label the same state in both languages. The second test pins Chinese readings
that need more than vocabulary: 未 / 不 fused with the finding's word, and 未 + a verb that
denies nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import State
from radprompt.labelset import load_labelset
from radprompt.reports import Report

PAIRS = Path(__file__).parent / "fixtures" / "zh_pairs.jsonl"


@pytest.fixture(scope="module")
def engine() -> RulesExtractor:
    return RulesExtractor(labelset=load_labelset("chestxray21"))


def _states(engine: RulesExtractor, text: str, language: str | None = None) -> dict[str, str]:
    meta = {"language": language} if language else {}
    findings = engine.extract_report(Report("r", text, meta))
    return {label: finding.state.value for label, finding in findings.states.items()
            if finding.state is not State.NOT_MENTIONED}


def _pairs() -> list[tuple[str, str]]:
    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines()]
    return [(row["zh"], row["en"]) for row in rows if "zh" in row]


def test_chinese_and_english_statements_read_alike(engine: RulesExtractor) -> None:
    pairs = _pairs()
    assert len(pairs) >= 120
    differing = [(zh, en, _states(engine, zh, "zh"), _states(engine, en, "en"))
                 for zh, en in pairs
                 if _states(engine, zh, "zh") != _states(engine, en, "en")]
    assert differing == []


@pytest.mark.parametrize(("text", "expected"), [
    ("心脏不大。", {"cardiomegaly": "absent"}),
    ("心脏未扩大。", {"cardiomegaly": "absent"}),
    ("心脏不扩大。", {"cardiomegaly": "absent"}),
    ("纵隔未增宽。", {"enlarged_cardiomediastinum": "absent"}),
    ("心影增大。", {"cardiomegaly": "present"}),
    ("左侧气胸未消失。", {"pneumothorax": "present"}),
    ("右侧胸腔积液仍未完全吸收。", {"pleural_effusion": "present"}),
    ("右下肺实变影未消退。", {"consolidation": "present"}),
    ("左肺上叶未钙化结节。", {"lung_lesion": "present"}),
    ("尚未拔除气管插管。", {"support_devices": "present"}),
    ("气管插管已拔除。", {"support_devices": "absent"}),
    ("胸骨缝合线完整。", {"support_devices": "present"}),
    ("心脏大小处于临界。", {"cardiomegaly": "uncertain"}),
])
def test_chinese_negators_and_not_yet(engine: RulesExtractor, text: str,
                                      expected: dict[str, str]) -> None:
    got = _states(engine, text)
    got.pop("no_finding", None)
    assert got == expected
