"""The rule engine's reading rules, one test per rule (issue 13). Sentences are synthetic."""

from __future__ import annotations

import pytest

from radprompt.extractors.rules import RulesExtractor
from radprompt.extractors.segment import sentence_spans
from radprompt.findings import State
from radprompt.labelset import load_labelset
from radprompt.reports import Report

P, A, U = State.PRESENT, State.ABSENT, State.UNCERTAIN


@pytest.fixture(scope="module")
def engines() -> dict[str, RulesExtractor]:
    return {name: RulesExtractor(labelset=load_labelset(name))
            for name in ("chestxray21", "chexpert14")}


def read(engine: RulesExtractor, text: str, label: str) -> State:
    return engine.extract_report(Report("synthetic", text)).state(label)


@pytest.mark.parametrize(("text", "label", "chestxray21", "chexpert14"), [
    # high-probability hedges: present for Ran Score, uncertain for CheXpert
    ("Likely right lower lobe pneumonia.", "pneumonia", P, U),
    ("Findings suggestive of mild pulmonary edema.", "edema", P, U),
    ("Opacity concerning for pneumonia.", "pneumonia", P, U),
    # low-probability hedges: uncertain in both
    ("Pneumonia cannot be excluded.", "pneumonia", U, U),
    ("Possible small left pleural effusion.", "pleural_effusion", U, U),
    ("Question of a small pneumothorax.", "pneumothorax", U, U),
])
def test_hedge_strength_follows_the_labelset_convention(engines, text, label, chestxray21,
                                                         chexpert14):
    assert read(engines["chestxray21"], text, label) is chestxray21
    assert read(engines["chexpert14"], text, label) is chexpert14


def test_a_hedge_does_not_reach_across_comma_with(engines):
    text = "Findings suggestive of edema, with bilateral pleural effusions."
    assert read(engines["chexpert14"], text, "pleural_effusion") is P
    assert read(engines["chexpert14"], text, "edema") is U


def test_versus_spares_the_finding_that_was_seen(engines):
    text = "Left basilar opacity may represent atelectasis versus pneumonia."
    engine = engines["chexpert14"]
    assert read(engine, text, "lung_opacity") is P
    assert read(engine, text, "atelectasis") is U
    assert read(engine, text, "pneumonia") is U


@pytest.mark.parametrize("connector", ["secondary to", "due to", "related to"])
def test_secondary_to_keeps_the_hedge_on_the_cause(engines, connector):
    text = f"Basilar opacity may be {connector} atelectasis."
    assert read(engines["chestxray21"], text, "atelectasis") is U
    assert read(engines["chestxray21"], text, "lung_opacity") is P


@pytest.mark.parametrize("text", ["Atelectasis or consolidation at the left base.",
                                  "Left basilar atelectasis/consolidation.",
                                  "Atelectasis versus consolidation at the left base.",
                                  "Atelectasis and/or consolidation at the left base."])
def test_a_bare_differential_is_a_high_probability_hedge_for_both(engines, text):
    # Ran Score reads a high-probability hedge present, CheXpert every hedge uncertain
    for label in ("atelectasis", "consolidation"):
        assert read(engines["chestxray21"], text, label) is P
        assert read(engines["chexpert14"], text, label) is U


@pytest.mark.parametrize("text", ["Basilar opacity may represent atelectasis or consolidation.",
                                  "Possible atelectasis versus consolidation at the left base."])
def test_a_differential_after_a_low_probability_hedge_stays_low(engines, text):
    for engine in engines.values():
        assert read(engine, text, "atelectasis") is U


def test_a_negated_list_with_or_stays_negated(engines):
    text = "No focal consolidation, suspicious pulmonary opacity, large effusion, or pneumothorax."
    for label in ("consolidation", "pleural_effusion", "pneumothorax"):
        assert read(engines["chestxray21"], text, label) is A


def test_no_does_not_cross_a_comma_outside_a_list(engines):
    text = "No pneumothorax, chest tube in place."
    assert read(engines["chexpert14"], text, "support_devices") is P
    assert read(engines["chexpert14"], text, "pneumothorax") is A


def test_a_post_cue_does_not_reach_back_across_a_comma(engines):
    text = "Pacemaker in place, heart size within normal limits."
    assert read(engines["chexpert14"], text, "support_devices") is P


def test_tip_not_seen_does_not_negate_the_device(engines):
    text = "Right PICC line, the tip is not seen."
    assert read(engines["chexpert14"], text, "support_devices") is P


def test_numbered_items_without_a_space_are_split():
    text = "IMPRESSION: 1.No effusion.2.Possible pneumonia."
    assert [text[s:e] for s, e in sentence_spans(text)] == ["No effusion.", "Possible pneumonia."]


def test_numbered_items_without_a_space_keep_their_own_scope(engines):
    text = "IMPRESSION: 1.No effusion.2.Pneumonia."
    assert read(engines["chexpert14"], text, "pneumonia") is P


def test_a_templated_reports_headers_are_the_subjects_of_their_sections(engines):
    text = ("FINDINGS:\nLINES/TUBES: None.\nLUNGS: Patchy left basilar opacity.\n"
            "HEART AND MEDIASTINUM: Normal.\nHISTORY OF PNEUMONIA: none given.")
    assert [text[s:e] for s, e in sentence_spans(text)][:3] == [
        "LINES/TUBES: None.", "LUNGS: Patchy left basilar opacity.",
        "HEART AND MEDIASTINUM: Normal."]
    for engine in engines.values():
        assert read(engine, text, "support_devices") is A
        assert read(engine, text, "lung_opacity") is P
        assert read(engine, text, "cardiomegaly") is A
        assert read(engine, text, "pneumonia") is State.NOT_MENTIONED  # a header, not a topic
        assert read(engine, "HEART: Mildly enlarged.", "cardiomegaly") is P


def test_a_full_stop_without_its_space_still_ends_the_sentence(engines):
    text = "FINDINGS: No effusion.Right lower lobe consolidation. Nodule 2.5 cm.No change."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "No effusion.", "Right lower lobe consolidation.", "Nodule 2.5 cm.", "No change."]
    for engine in engines.values():
        assert read(engine, text, "consolidation") is P
        assert read(engine, text, "pleural_effusion") is A


@pytest.mark.parametrize(("text", "label"), [
    ("Heart size is normal.", "cardiomegaly"),
    ("Normal cardiomediastinal silhouette.", "enlarged_cardiomediastinum"),
    ("Normal cardiomediastinal silhouette.", "cardiomegaly"),
    ("The mediastinum is not widened.", "enlarged_cardiomediastinum"),
    ("The lungs are clear.", "lung_opacity"),
    ("The lungs are clear.", "pneumonia"),
])
def test_normal_statements_set_absent(engines, text, label):
    for engine in engines.values():
        assert read(engine, text, label) is A


def test_a_finding_beats_a_normal_statement(engines):
    text = "Lungs are otherwise clear. Right lower lobe consolidation."
    assert read(engines["chexpert14"], text, "consolidation") is P


@pytest.mark.parametrize(("text", "label"), [
    ("The heart appears mildly enlarged.", "cardiomegaly"),
    ("The mediastinum is widened.", "enlarged_cardiomediastinum"),
    ("The cardiomediastinal silhouette is mildly enlarged.", "enlarged_cardiomediastinum"),
])
def test_word_order_phrases_in_both_labelsets(engines, text, label):
    for engine in engines.values():
        assert read(engine, text, label) is P


def test_a_phrase_carries_its_own_state(engines):
    assert read(engines["chexpert14"], "Mild pulmonary vascular congestion.", "edema") is U
    assert read(engines["chexpert14"], "No vascular congestion.", "edema") is A


@pytest.mark.parametrize("text", [
    "Degenerative changes of the thoracic spine.", "Small hiatal hernia.",
    "Tortuous thoracic aorta.", "Calcified granuloma in the right upper lobe.",
    "The lungs are hyperinflated."])
def test_findings_outside_the_taxonomy_cancel_chexpert_no_finding(engines, text):
    assert read(engines["chexpert14"], f"Heart size is normal. {text}", "no_finding") is A


def test_a_negated_outside_finding_keeps_no_finding(engines):
    text = "Heart size is normal. No hiatal hernia."
    assert read(engines["chexpert14"], text, "no_finding") is P


@pytest.mark.parametrize("cue", ["Consider", "Differential includes", "Possibilities include",
                                 "CT to exclude", "Question", "Might represent",
                                 "Can be seen with"])
def test_new_uncertainty_cues(engines, cue):
    assert read(engines["chestxray21"], f"{cue} pneumonia.", "pneumonia") is U


@pytest.mark.parametrize("text", ["Right IJ line with tip in the SVC.", "Left chest port.",
                                  "Vascular sheath in the right groin.",
                                  "Defibrillator pads over the chest.",
                                  "The patient is intubated."])
def test_device_vocabulary(engines, text):
    for engine in engines.values():
        assert read(engine, text, "support_devices") is P


def test_interval_removal_negates_only_the_removed_device(engines):
    engine = engines["chexpert14"]
    assert read(engine, "Interval removal of the chest tubes.", "support_devices") is A
    text = "Interval removal of the chest tube. Right PICC line in place."
    assert read(engine, text, "support_devices") is P


def test_present_findings_carry_attributes(engines):
    findings = engines["chexpert14"].extract_report(
        Report("synthetic", "Small left pleural effusion, increased."))
    attributes = findings.finding("pleural_effusion").attributes
    assert (attributes.laterality, attributes.severity, attributes.temporal) == (
        "left", "small", "increased")


@pytest.mark.parametrize(("text", "label"), [
    ("Negative for consolidation, pleural effusion, pneumothorax.", "pneumothorax"),
    ("No acute, displaced rib fractures are identified.", "fracture"),
])
def test_a_negation_runs_through_a_list_without_a_conjunction(engines, text, label):
    assert read(engines["chestxray21"], text, label) is A


def test_a_slash_closes_a_negated_list_like_or(engines):
    # "large" after the comma would otherwise open a finding of its own ("no pneumothorax,
    # small left effusion"); the slash makes the run one negated list
    text = "No evidence of consolidation, large pleural effusion/pneumothorax."
    for engine in engines.values():
        assert read(engine, text, "pleural_effusion") is A
        assert read(engine, text, "pneumothorax") is A
    assert read(engines["chestxray21"], "No pneumothorax, small left effusion.",
                "pleural_effusion") is P


def test_a_list_item_with_its_own_predicate_stops_the_negation(engines):
    text = "No focal consolidation, nasogastric tube in the stomach."
    assert read(engines["chestxray21"], text, "support_devices") is P


def test_a_conditional_is_a_low_probability_hedge(engines):
    text = "If there is concern for rib fracture, consider a rib series."
    assert read(engines["chestxray21"], text, "fracture") is U


def test_neither_nor_negates_both(engines):
    text = "Neither pleural effusion nor pneumothorax is present."
    for engine in engines.values():
        assert read(engine, text, "pleural_effusion") is A
        assert read(engine, text, "pneumothorax") is A


@pytest.mark.parametrize(("text", "label", "state"), [
    ("No acute findings suggestive of pneumonia.", "pneumonia", A),
    ("No focal opacity to suggest pneumonia.", "pneumonia", A),
    ("No evidence of findings concerning for edema.", "edema", A),
    # a comma ends the negation's reach: the hedge asserts on its own
    ("No pneumothorax, likely right lower lobe pneumonia.", "pneumonia", P),
])
def test_a_hedge_inside_a_negation_is_negated_with_it(engines, text, label, state):
    assert read(engines["chestxray21"], text, label) is state


@pytest.mark.parametrize(("text", "label", "state"), [
    ("No effusion, pneumothorax or focal consolidation to suggest pneumonia.", "pneumonia", A),
    # a new clause after the comma, or an aside in parentheses, is out of the negation's reach
    ("No pleural effusion, findings suggestive of pneumonia.", "pneumonia", P),
    ("No consolidation, pneumothorax, or large effusion identified (blunted costophrenic "
     "angles may reflect small effusions).", "pleural_effusion", U),
])
def test_a_negation_through_a_list_closed_by_or_denies_a_hedge_after_it(engines, text, label,
                                                                        state):
    assert read(engines["chestxray21"], text, label) is state


@pytest.mark.parametrize(("text", "label", "state"), [
    ("Consolidation, atelectasis, and pleural effusion have cleared.", "consolidation", A),
    ("Consolidation, atelectasis, and pleural effusion have cleared.", "atelectasis", A),
    # two items are two clauses: the post cue stays in its own
    ("Small left pneumothorax, and the effusion has resolved.", "pneumothorax", P),
    ("Chest tube in place, pneumothorax has resolved.", "support_devices", P),
])
def test_a_post_cue_reaches_back_over_a_list_of_three_or_more(engines, text, label, state):
    for engine in engines.values():
        assert read(engine, text, label) is state


def test_a_low_probability_hedge_reaching_versus_covers_the_finding_after_it(engines):
    text = ("Opacities may be secondary to chronic scarring and mild bronchiectatic change "
            "versus developing pneumonia.")
    for engine in engines.values():
        assert read(engine, text, "pneumonia") is U


@pytest.mark.parametrize(("text", "state"), [
    ("Nodular densities over both lower ribs are consistent with nipple shadows.", A),
    ("Nodular opacity at the right base is probably a calcified granuloma.", A),
    ("A nodular opacity over the right fifth rib represents a healed rib fracture.", A),
    # a granuloma beside a nodule, or a diagnosis of the nodule, does not explain it away
    ("New spiculated nodule and several calcified granulomas.", P),
    ("Right hilar mass consistent with bronchogenic carcinoma.", P),
])
def test_a_look_alike_named_as_what_a_nodule_is_negates_it(engines, text, state):
    for engine in engines.values():
        assert read(engine, text, "lung_lesion") is state
