"""The rule engine on reports in Chinese (issue 16 item 4). Every sentence here is SYNTHETIC."""

from __future__ import annotations

import json

import pytest

from radprompt.extractors._cjk import cjk_sentences
from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import State
from radprompt.labelset import LabelSet, load_labelset
from radprompt.languages import detect_language, report_language
from radprompt.reports import Report, read_dataset


@pytest.fixture(scope="module")
def chestxray21() -> LabelSet:
    return load_labelset("chestxray21")


@pytest.fixture(scope="module")
def engine(chestxray21: LabelSet) -> RulesExtractor:
    return RulesExtractor(labelset=chestxray21)


def _states(engine: RulesExtractor, text: str) -> dict[str, str]:
    findings = engine.extract_report(Report("r", text))
    return {label: finding.state.value for label, finding in findings.states.items()
            if finding.state is not State.NOT_MENTIONED}


def test_language_is_declared_or_detected() -> None:
    assert detect_language("No pneumothorax. XXXX") == "en"
    assert detect_language("PICC管尖端位于上腔静脉，未见气胸。") == "zh"
    assert report_language("No effusion.", {"language": "zh-CN"}) == "zh"
    assert report_language("未见气胸。", {"lang": "en"}) == "en"


def test_sentences_end_at_chinese_punctuation_lines_and_numbers() -> None:
    text = ("影像所见：\n双肺纹理清晰；心影不大。\n"
            "诊断意见：1.未见气胸！2、右侧肋膈角变钝？\n（3）心影大小2.5cm")
    got = [(text[s.start:s.end], s.section) for s in cjk_sentences(text)]
    assert got == [("双肺纹理清晰；", "影像所见"), ("心影不大。", "影像所见"),
                   ("未见气胸！", "诊断意见"), ("右侧肋膈角变钝？", "诊断意见"),
                   ("心影大小2.5cm", "诊断意见")]


@pytest.mark.parametrize(("text", "expected"), [
    ("未见气胸，左侧少量胸腔积液。", {"pneumothorax": "absent", "pleural_effusion": "present"}),
    ("双肺未见实变、胸腔积液及气胸。",
     {"consolidation": "absent", "pleural_effusion": "absent", "pneumothorax": "absent"}),
    ("心影未见增大。", {"cardiomegaly": "absent"}),
    ("心影增大，双肺纹理增多。", {"cardiomegaly": "present"}),
    ("左下肺斑片影，考虑炎症。", {"lung_opacity": "present", "pneumonia": "present"}),
    ("考虑左下肺炎症可能。", {"pneumonia": "uncertain"}),
    ("右下肺斑片影，肺炎不除外。", {"lung_opacity": "present", "pneumonia": "uncertain"}),
    ("不除外右下肺炎症。", {"pneumonia": "uncertain"}),
    ("未见气胸，但右侧胸腔积液。", {"pneumothorax": "absent", "pleural_effusion": "present"}),
    ("右侧气胸较前无明显变化。", {"pneumothorax": "present"}),
    ("左侧肋膈角消失。", {"pleural_effusion": "present"}),
    ("右侧胸腔引流管已拔除。", {"support_devices": "absent"}),
    ("无气胸，胸腔积液或局灶性实变。",
     {"pneumothorax": "absent", "pleural_effusion": "absent", "consolidation": "absent"}),
    ("未见气胸，左侧少量胸腔积液及肺不张。",
     {"pneumothorax": "absent", "pleural_effusion": "present", "atelectasis": "present"}),
    ("无气胸，心影增大及肺淤血。", {"pneumothorax": "absent", "cardiomegaly": "present",
                              "pulmonary_vascular_abnormal": "present"}),
])
def test_chinese_negation_and_hedges_keep_to_their_clause(
        engine: RulesExtractor, text: str, expected: dict[str, str]) -> None:
    got = _states(engine, text)
    got.pop("no_finding", None)
    assert got == expected


@pytest.mark.parametrize(("text", "expected"), [
    # a post cue past another item of a list reaches it only when it closes the list
    ("无实变、可疑的肺部阴影或胸腔积液。",
     {"consolidation": "absent", "lung_opacity": "absent", "pleural_effusion": "absent"}),
    ("气胸、胸腔积液可能。", {"pneumothorax": "uncertain", "pleural_effusion": "uncertain"}),
    ("左侧气胸及胸腔积液已消失。", {"pneumothorax": "absent", "pleural_effusion": "absent"}),
    # a normal statement whose last word is denied states no normal
    ("心影大小不正常。", {}),
    ("心影大小正常。", {"cardiomegaly": "absent"}),
    # a negation word inside a longer hedge or a word that denies nothing
    ("不能完全排除少量胸腔积液。", {"pleural_effusion": "uncertain"}),
    ("较前没有变化的右侧胸腔积液。", {"pleural_effusion": "present"}),
    ("性质未明的右上叶结节。", {"lung_lesion": "present"}),
    # a pseudo cue led by 无 that opens its clause and governs a list negates the list
    ("无移位性肋骨骨折、气胸或胸腔积液。",
     {"fracture": "absent", "pneumothorax": "absent", "pleural_effusion": "absent"}),
    ("右侧第5肋无移位骨折。", {"fracture": "present"}),
    # a negation reaches every item of a list, however long the list
    ("没有局灶性气腔实变、可疑的肺部阴影、大量胸腔积液、明显的肺水肿、纵隔增宽或者气胸的证据。",
     {"consolidation": "absent", "lung_opacity": "absent", "pleural_effusion": "absent",
      "edema": "absent", "enlarged_cardiomediastinum": "absent", "pneumothorax": "absent"}),
])
def test_chinese_lists_hedges_and_normal_words(
        engine: RulesExtractor, text: str, expected: dict[str, str]) -> None:
    got = _states(engine, text)
    got.pop("no_finding", None)
    assert got == expected


def test_traditional_characters_read_as_simplified(engine: RulesExtractor) -> None:
    simplified = "心脏大小正常。双肺清晰。右侧少量胸腔积液，未见气胸。纵隔增宽。"
    traditional = "心臟大小正常。雙肺清晰。右側少量胸腔積液，未見氣胸。縱膈增寬。"
    assert _states(engine, traditional) == _states(engine, simplified)
    findings = engine.extract_report(Report("r", traditional))
    evidence = findings.states["pleural_effusion"].evidence
    assert evidence is not None and evidence.text == "右側少量胸腔積液，未見氣胸。"
    assert findings.states["pleural_effusion"].attributes == \
        engine.extract_report(Report("r", simplified)).states["pleural_effusion"].attributes


def test_history_section_is_not_read(engine: RulesExtractor) -> None:
    text = "临床病史：发热咳嗽，肺炎？\n影像所见：双肺纹理清晰，未见明显异常。"
    assert _states(engine, text) == {
        "atelectasis": "absent", "consolidation": "absent", "edema": "absent",
        "lung_opacity": "absent", "pneumonia": "absent", "no_finding": "present"}


def test_evidence_is_the_chinese_sentence(engine: RulesExtractor) -> None:
    text = "心影不大。右下肺斑片影，考虑肺炎。"
    finding = engine.extract_report(Report("r", text)).states["pneumonia"]
    assert finding.evidence is not None
    assert finding.evidence.text == "右下肺斑片影，考虑肺炎。"
    assert text[finding.evidence.start:finding.evidence.end] == finding.evidence.text


def test_declared_language_field_is_read_from_jsonl(tmp_path, chestxray21, engine) -> None:
    path = tmp_path / "reports.jsonl"
    rows = [{"id": "a", "text": "未见气胸。", "language": "zh"},
            {"id": "b", "text": "No pneumothorax.", "language": "en"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                    encoding="utf-8")
    dataset = read_dataset(path, labelset=chestxray21)
    assert dataset.reports[0].meta["language"] == "zh"
    found = engine.extract(dataset.reports)
    assert [f.state("pneumothorax") for f in found] == [State.ABSENT, State.ABSENT]


def test_english_reports_read_as_before(engine: RulesExtractor) -> None:
    assert _states(engine, "No pneumothorax, but small left effusion.") == {
        "pneumothorax": "absent", "pleural_effusion": "present", "no_finding": "absent"}


def test_a_labelset_without_chinese_words_finds_nothing_in_chinese() -> None:
    chexpert = load_labelset("chexpert14")
    found = RulesExtractor(labelset=chexpert).extract_report(Report("r", "左侧胸腔积液。"))
    assert found.state("pleural_effusion") is State.NOT_MENTIONED


def test_in_language_names_the_languages_it_has(chestxray21: LabelSet) -> None:
    zh = chestxray21.in_language("zh")
    assert "胸腔积液" in zh.get("pleural_effusion").phrases
    assert all(e.lang == "zh" for label in zh.labels for e in label.examples)
    with pytest.raises(KeyError, match="has: en, zh"):
        chestxray21.in_language("de")


def test_english_is_not_a_language_entry(chestxray21: LabelSet) -> None:
    data = chestxray21.model_dump()
    data["languages"] = {"en": {}}
    with pytest.raises(ValueError, match="English is the label's own fields"):
        LabelSet.model_validate(data)


def test_attributes_are_read_from_the_chinese_sentence(engine: RulesExtractor) -> None:
    text = "右侧少量胸腔积液，较前减少。左肺上叶结节，大小约1.2cm。"
    findings = engine.extract_report(Report("r", text))
    assert findings.states["pleural_effusion"].attributes.to_json() == {
        "laterality": "right", "severity": "small", "temporal": "decreased"}
    assert findings.states["lung_lesion"].attributes.to_json() == {
        "laterality": "left", "size": "1.2cm", "location": "left upper lobe"}
