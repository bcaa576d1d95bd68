"""The pair generator: every kind on the demo corpus, determinism, skips, each operator."""

from __future__ import annotations

import json

import pytest

from radprompt.errors import InputError
from radprompt.reports import Report, read_dataset
from radprompt.significance import (
    ERROR_KINDS,
    PERTURBATIONS,
    VARIATION_KINDS,
    generate_pairs,
    load_vocabulary,
    read_pairs,
    write_pairs,
)
from radprompt.significance.analysis import ReportReader


@pytest.fixture(scope="module")
def labels():
    from radprompt.labelset import load_labelset

    return load_labelset("chestxray21")


@pytest.fixture(scope="module")
def demo_pairs(labels):
    reports = read_dataset("experiments/demo/test.jsonl", labelset=labels).reports[:20]
    return generate_pairs(reports, labelset=labels, seed=1)


def one(labels, text, kind, seed=0):
    pairs = generate_pairs([Report("r", text)], labelset=labels, kinds=[kind], seed=seed)
    return pairs.pairs[0] if pairs.pairs else pairs.skipped[kind]


def test_registry_names_match_kinds():
    assert set(PERTURBATIONS) == set(ERROR_KINDS) | set(VARIATION_KINDS)
    for name, operator in PERTURBATIONS.items():
        assert operator.name == name
        assert operator.significant == (name in ERROR_KINDS)


def test_every_kind_on_a_slice_of_the_demo_corpus(demo_pairs):
    counts = demo_pairs.counts()
    assert set(counts) == set(PERTURBATIONS)
    assert all(counts[kind]["pairs"] > 0 for kind in PERTURBATIONS), counts
    for count in counts.values():  # every report either made a pair or was counted
        assert count["pairs"] + count["skipped"] == demo_pairs.references == 20
    for pair in demo_pairs.pairs:
        assert pair.variant != pair.reference
        assert pair.significant == (pair.kind in ERROR_KINDS)


def test_generation_is_deterministic(labels, demo_pairs):
    reports = read_dataset("experiments/demo/test.jsonl", labelset=labels).reports[:20]
    again = generate_pairs(reports, labelset=labels, seed=1)
    assert [p.to_json() for p in again.pairs] == [p.to_json() for p in demo_pairs.pairs]
    other = generate_pairs(reports, labelset=labels, seed=2)
    assert [p.variant for p in other.pairs] != [p.variant for p in demo_pairs.pairs]


def test_state_changing_errors_change_the_findings_and_harmless_ones_mostly_do_not(
        labels, demo_pairs):
    reader = ReportReader(labelset=labels)
    for pair in demo_pairs.pairs:
        before, after = reader.read(pair.reference), reader.read(pair.variant)
        changed = [label for label in before.extracted_labels
                   if before.is_positive(label) != after.is_positive(label)]
        if pair.kind in ("negation_flip", "false_finding", "omitted_finding"):
            assert changed and set(pair.labels) == set(changed), pair.id
        if pair.kind in ("synonym", "abbreviation", "hedging_neutral", "paraphrase",
                         "reordering"):
            assert not changed, pair.id


@pytest.mark.parametrize(("kind", "text", "expected"), [
    ("laterality_swap", "FINDINGS: Small left pleural effusion.",
     "FINDINGS: Small right pleural effusion."),
    ("negation_flip", "FINDINGS: No pneumothorax.", "FINDINGS: Pneumothorax."),
    ("negation_flip", "FINDINGS: There is a small pneumothorax.",
     "FINDINGS: There is no small pneumothorax."),
    ("wrong_measurement", "FINDINGS: A 2 cm nodule in the right upper lobe.",
     "FINDINGS: A 5 cm nodule in the right upper lobe."),
    ("device_malposition", "FINDINGS: Endotracheal tube tip 4 cm above the carina.",
     "FINDINGS: Endotracheal tube tip in the right mainstem bronchus."),
    ("synonym", "FINDINGS: Hiatal hernia.", "FINDINGS: Hiatus hernia."),
    ("abbreviation", "FINDINGS: ETT in standard position.",
     "FINDINGS: Endotracheal tube in standard position."),
    ("hedging_neutral", "FINDINGS: Opacity compatible with pneumonia.",
     "FINDINGS: Opacity consistent with pneumonia."),
    ("paraphrase", "FINDINGS: There is a small left effusion.",
     "FINDINGS: A small left effusion is present."),
    ("reordering", "FINDINGS: Mild cardiomegaly. No pneumothorax.",
     "FINDINGS: No pneumothorax. Mild cardiomegaly."),
])
def test_operators_on_small_reports(labels, kind, text, expected):
    pair = one(labels, text, kind)
    assert not isinstance(pair, dict), pair
    if kind == "wrong_measurement" and pair.variant != expected:
        expected = expected.replace("5 cm", "0.8 cm")  # the other factor
    assert pair.variant == expected


def test_severity_moves_at_least_two_levels(labels):
    pair = one(labels, "FINDINGS: Small left pleural effusion.", "severity_change")
    assert pair.variant.split()[1] in ("Large", "Massive")


def test_false_finding_adds_an_unmentioned_label(labels):
    pair = one(labels, "FINDINGS: No pneumothorax. Mild cardiomegaly.", "false_finding")
    assert len(pair.labels) == 1 and pair.labels[0] not in ("pneumothorax", "cardiomegaly")


def test_omitted_finding_removes_its_sentences(labels):
    text = "FINDINGS: Mild cardiomegaly. Small effusion.\nIMPRESSION:\n1. Mild cardiomegaly.\n" \
           "2. Small effusion."
    pair = one(labels, text, "omitted_finding", seed=3)
    assert pair.labels == ("cardiomegaly",)
    # both sentences that state it go, the numbered line with its number
    assert pair.variant == "FINDINGS: Small effusion.\nIMPRESSION:\n2. Small effusion."


def test_inapplicable_kinds_are_skipped_and_counted(labels):
    pairs = generate_pairs([Report("r", "FINDINGS: No pneumothorax.")], labelset=labels,
                           seed=0)
    assert pairs.skipped["laterality_swap"] == {"no side word in a positive finding sentence": 1}
    assert pairs.skipped["wrong_measurement"] == {
        "no measurement in a positive finding sentence": 1}
    assert "laterality_swap" not in {pair.kind for pair in pairs.pairs}


def test_only_findings_sections_are_changed(labels):
    text = "INDICATION: Left chest pain.\nFINDINGS: Right pneumothorax."
    pair = one(labels, text, "laterality_swap")
    assert pair.variant == "INDICATION: Left chest pain.\nFINDINGS: Left pneumothorax."


def test_model_paraphrases_are_kept_only_when_findings_stay(labels):
    report = Report("r", "FINDINGS: Small left effusion.")
    kept = generate_pairs([report], labelset=labels, kinds=["paraphrase"], paraphrases={
        "r": "FINDINGS: A small effusion on the left."})
    assert kept.pairs[0].detail == "model paraphrase"
    dropped = generate_pairs([report], labelset=labels, kinds=["paraphrase"], paraphrases={
        "r": "FINDINGS: No effusion."})
    assert dropped.skipped["paraphrase"] == {"the model's paraphrase changed the findings": 1}


def test_write_and_read_pairs(tmp_path, demo_pairs):
    summary = write_pairs(tmp_path / "pairs.jsonl", demo_pairs)
    assert read_pairs(tmp_path / "pairs.jsonl") == demo_pairs.pairs
    counts = json.loads(summary.read_text())
    assert counts["pairs"] == len(demo_pairs.pairs) and counts["references"] == 20
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(InputError, match="line 1"):
        read_pairs(tmp_path / "bad.jsonl")


def test_unknown_kind_and_bad_vocabulary(labels, tmp_path):
    with pytest.raises(ValueError, match="unknown perturbation"):
        generate_pairs([], labelset=labels, kinds=["typo"])
    bad = tmp_path / "vocabulary.yaml"
    bad.write_text("labelset: chestxray21\nsynonym_groups:\n  - [cardiomegaly, pneumothorax]\n")
    with pytest.raises(InputError, match="mixes phrases of different labels"):
        load_vocabulary(labelset=labels, path=bad)
    bad.write_text("labelset: chestxray21\nsynonym_groups:\n  - [cardiomegaly, big heart]\n")
    with pytest.raises(InputError, match="'big heart' is not a phrase"):
        load_vocabulary(labelset=labels, path=bad)


def test_pairs_with_a_unicode_line_break_read_back_whole(tmp_path):
    """Pairs are written with ensure_ascii=False, so a U+2028 in a report stays raw: reading
    them back must not cut the record in two."""
    from radprompt.significance.perturb import Pair, PairSet, read_pairs, write_pairs

    pair = Pair(id="r1/negate", reference_id="r1", kind="negate", significant=True,
                reference="Small effusion.\u2028No pneumothorax.",
                variant="No effusion.\u2029No pneumothorax.")
    write_pairs(tmp_path / "pairs.jsonl", PairSet(pairs=[pair]))
    assert read_pairs(tmp_path / "pairs.jsonl") == [pair]
