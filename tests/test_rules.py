"""The rule engine, driven by a tiny fixture labelset whose cues are fixed."""

from __future__ import annotations

import pytest

from radprompt.extractors.rules import RulesExtractor
from radprompt.extractors.segment import sentence_spans
from radprompt.findings import State
from radprompt.reports import Report


@pytest.fixture
def engine(mini_labelset) -> RulesExtractor:
    return RulesExtractor(labelset=mini_labelset)


def states(engine: RulesExtractor, text: str) -> dict[str, State]:
    findings = engine.extract_report(Report(id="r", text=text))
    return {label_id: findings.state(label_id) for label_id in engine.labelset.ids}


@pytest.mark.parametrize(
    ("text", "label", "expected"),
    [
        ("Small right pleural effusion.", "pleural_effusion", State.PRESENT),
        ("No pneumothorax.", "pneumothorax", State.ABSENT),
        ("No evidence of pneumonia.", "pneumonia", State.ABSENT),
        ("Lungs are clear without pleural effusion.", "pleural_effusion", State.ABSENT),
        # one negation over a list
        ("No pneumonia, pleural effusion, or pneumothorax.", "pneumothorax", State.ABSENT),
        ("No pneumonia, pleural effusion, or pneumothorax.", "pleural_effusion", State.ABSENT),
        # post-negation: resolved, removed, not seen
        ("The left pleural effusion has resolved.", "pleural_effusion", State.ABSENT),
        ("The central venous catheter has been removed.", "support_devices", State.ABSENT),
        ("Pneumothorax is not seen.", "pneumothorax", State.ABSENT),
        ("No new or worsening pleural effusion.", "pleural_effusion", State.ABSENT),
        # uncertainty, both directions
        ("Cannot exclude early pneumonia.", "pneumonia", State.UNCERTAIN),
        ("Basilar opacity may represent pneumonia.", "pneumonia", State.UNCERTAIN),
        ("A small pneumothorax cannot be excluded.", "pneumothorax", State.UNCERTAIN),
        ("Atelectasis versus pneumonia.", "pneumonia", State.UNCERTAIN),
        ("Atelectasis versus pneumonia.", "atelectasis", State.UNCERTAIN),
        ("Atelectasis vs. pneumonia at the left base.", "atelectasis", State.UNCERTAIN),
        # termination ends the negation's scope
        ("No pneumothorax, but a small pleural effusion.", "pleural_effusion", State.PRESENT),
        ("No pneumothorax, but a small pleural effusion.", "pneumothorax", State.ABSENT),
        # pseudo-negation is not a negation
        ("No change in the small pleural effusion.", "pleural_effusion", State.PRESENT),
        # exclusions
        ("Small pericardial effusion.", "pleural_effusion", State.NOT_MENTIONED),
        # plural forms
        ("Bilateral pleural effusions.", "pleural_effusion", State.PRESENT),
        # out of scope: the cue is too far away
        ("No acute osseous abnormality is seen in the ribs today and there is a pneumothorax.",
         "pneumothorax", State.PRESENT),
        # "no" must be a word, not the start of "normal"
        ("Normal heart. Pneumothorax.", "pneumothorax", State.PRESENT),
    ],
)
def test_mention_states(engine, text, label, expected):
    assert states(engine, text)[label] is expected


def test_inline_headers_and_numbered_impression(engine):
    text = "FINDINGS: No pneumothorax. IMPRESSION: 1. No pneumonia. 2. Small pleural effusion."
    result = states(engine, text)
    assert result["pneumothorax"] is State.ABSENT
    assert result["pneumonia"] is State.ABSENT
    assert result["pleural_effusion"] is State.PRESENT


def test_negation_does_not_cross_sentences(engine):
    result = states(engine, "No pneumothorax. Pleural effusion is present.")
    assert result["pleural_effusion"] is State.PRESENT


def test_iu_masks_stay_inside_the_negation_scope(engine):
    result = states(engine, "There are no XXXX of a pleural effusion. Heart size XXXX.")
    assert result["pleural_effusion"] is State.ABSENT


def test_present_wins_over_negated_mentions(engine):
    result = states(engine, "No right pleural effusion. Small left pleural effusion.")
    assert result["pleural_effusion"] is State.PRESENT


def test_uncertain_wins_over_negated(engine):
    result = states(engine, "No pneumonia on the right. Possible pneumonia on the left.")
    assert result["pneumonia"] is State.UNCERTAIN


def test_no_finding_is_derived(engine):
    assert states(engine, "No pneumothorax or pleural effusion.")["no_finding"] is State.PRESENT
    assert states(engine, "Small pleural effusion.")["no_finding"] is State.ABSENT


def test_no_finding_respects_uncertainty_policy(engine):
    # atelectasis is configured with uncertainty_policy: negative, so possible atelectasis
    # alone does not make the report abnormal
    assert states(engine, "Possible atelectasis.")["no_finding"] is State.PRESENT
    assert states(engine, "Possible pneumonia.")["no_finding"] is State.ABSENT


def test_evidence_is_the_sentence_span(engine):
    text = "FINDINGS: Heart normal. Small left pleural effusion."
    finding = engine.extract_report(Report(id="r", text=text)).finding("pleural_effusion")
    assert finding.evidence is not None
    assert finding.evidence.text == "Small left pleural effusion."
    assert text[finding.evidence.start : finding.evidence.end] == finding.evidence.text


def test_one_megabyte_report_is_processed(engine):
    text = ("Stable small pleural effusion. No pneumothorax. " * 25_000)[:1_000_000]
    assert len(text) >= 999_000
    result = states(engine, text)
    assert result["pleural_effusion"] is State.PRESENT
    assert result["pneumothorax"] is State.ABSENT


def test_one_megabyte_report_without_punctuation_is_processed(engine):
    text = "no pneumothorax " * 70_000
    assert states(engine, text)["pneumothorax"] is State.ABSENT


def test_extract_reports_progress_once_per_report(engine):
    calls: list[int] = []
    reports = [Report(id=str(i), text="No pneumothorax.") for i in range(5)]
    results = engine.extract(reports, progress=calls.append)
    assert [r.report_id for r in results] == [str(i) for i in range(5)]
    assert sum(calls) == 5


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("FINDINGS: No effusion. IMPRESSION: 1. Clear. 2. Size 2.5 cm, A vs. B.",
         ["No effusion.", "Clear.", "Size 2.5 cm, A vs. B."]),
        ("The heart is XXXX. There are no XXXX of a effusion.\nIMPRESSION:\nNormal chest x-XXXX.",
         ["The heart is XXXX.", "There are no XXXX of a effusion.", "Normal chest x-XXXX."]),
        ("Comparison: None.\n\nFindings: lungs clear; no effusion",
         ["None.", "lungs clear;", "no effusion"]),
        ("1) No pneumothorax\n2) small effusion", ["No pneumothorax", "small effusion"]),
        ("", []),
    ],
)
def test_sentence_spans(text, sentences):
    assert [text[s:e] for s, e in sentence_spans(text)] == sentences


def test_indication_and_history_sections_are_skipped(engine):
    text = ("INDICATION: Evaluate for pneumothorax.\nHISTORY: Pneumonia last year.\n"
            "FINDINGS: Small pleural effusion.")
    result = states(engine, text)
    assert result["pneumothorax"] is State.NOT_MENTIONED
    assert result["pneumonia"] is State.NOT_MENTIONED
    assert result["pleural_effusion"] is State.PRESENT


def test_the_nearest_cue_decides(engine):
    text = "Findings may represent chronic change without pneumothorax."
    assert states(engine, text)["pneumothorax"] is State.ABSENT
    assert states(engine, "No clear signs, possible pneumonia.")["pneumonia"] is State.UNCERTAIN


def test_versus_reaches_only_its_neighbours(engine):
    text = "Small pleural effusion in the left base and atelectasis versus pneumonia."
    result = states(engine, text)
    assert result["pleural_effusion"] is State.PRESENT
    assert result["atelectasis"] is State.UNCERTAIN
    assert result["pneumonia"] is State.UNCERTAIN


def test_a_header_run_together_with_a_line_before_it_is_still_ignored(engine):
    text = "CHEST FRONTAL/LATERAL REASON FOR EXAM: pneumothorax? FINDINGS: No effusion."
    assert states(engine, text)["pneumothorax"] is State.NOT_MENTIONED


@pytest.fixture
def gapped(mini_labelset) -> RulesExtractor:
    label = mini_labelset.get("pleural_effusion")
    with_gap = label.model_copy(update={"phrases": (*label.phrases, "fluid * pleural space")})
    return RulesExtractor(labelset=mini_labelset.with_label(with_gap))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fluid collections in both pleural spaces.", State.PRESENT),
        ("Fluid in the pleural space.", State.PRESENT),
        ("Fluid pleural space.", State.PRESENT),
        # a gap holds at most three words and never crosses a comma or a sentence
        ("Fluid was drained from the abdomen and pleural space.", State.NOT_MENTIONED),
        ("Fluid, pleural space.", State.NOT_MENTIONED),
        ("Fluid. Pleural space.", State.NOT_MENTIONED),
    ],
)
def test_gapped_phrases(gapped, text, expected):
    assert states(gapped, text)["pleural_effusion"] is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The heart is mildly enlarged.", State.PRESENT),
        ("The heart is not enlarged.", State.ABSENT),  # a cue inside the gap still counts
        ("The heart is possibly enlarged.", State.UNCERTAIN),
    ],
)
def test_cues_inside_a_gap(chestxray21, text, expected):
    label = chestxray21.get("cardiomegaly")
    engine = RulesExtractor(labelset=chestxray21.with_label(
        label.model_copy(update={"phrases": (*label.phrases, "heart * enlarged")})))
    assert engine.extract_report(Report("r", text)).state("cardiomegaly") is expected


def test_chexpert_no_finding_ignores_support_devices():
    from radprompt.labelset import load_labelset

    text = "Right internal jugular catheter with tip in the SVC. Lungs are clear."
    chexpert = RulesExtractor(labelset=load_labelset("chexpert14")).extract_report(
        Report("r", text))
    assert chexpert.state("support_devices") is State.PRESENT
    assert chexpert.state("no_finding") is State.PRESENT
    ranscore = RulesExtractor(labelset=load_labelset("chestxray21")).extract_report(
        Report("r", text))
    assert ranscore.state("no_finding") is State.ABSENT  # Ran Score: every other label counts
