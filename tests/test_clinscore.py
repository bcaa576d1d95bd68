"""ClinScore, the significance-weighted finding score. Every report here is synthetic."""

from __future__ import annotations

import pytest

from radprompt.errors import InputError
from radprompt.labelset import load_labelset
from radprompt.metrics import build_metric
from radprompt.metrics.clinscore import ClinScore
from radprompt.metrics.weights import PatientContext, significance_weights


@pytest.fixture(scope="module")
def metric() -> ClinScore:
    return ClinScore(labelset="chestxray21")


def scores(metric, reference, candidates, contexts=None):
    result = metric.compute(predictions=candidates, references=[reference] * len(candidates),
                            contexts=contexts)
    return [float(s) for s in result.sample_scores]


def test_perfect_and_normal_reports_score_one(metric):
    assert scores(metric, "Small left pleural effusion.", ["Small left pleural effusion."]) == [
        1.0]
    assert scores(metric, "No acute cardiopulmonary process.",
                  ["Lungs are clear. No effusion or pneumothorax."]) == [1.0]


def test_attribute_errors_earn_partial_credit_and_a_miss_scores_lowest(metric):
    right, wrong_side, wrong_size, missed = scores(metric, "Small left pleural effusion.", [
        "Small left pleural effusion.", "Small right pleural effusion.",
        "Large left pleural effusion.", "No pleural effusion."])
    assert right > wrong_size > missed
    assert right > wrong_side > missed


def test_larger_measurement_errors_cost_more(metric):
    close, far = scores(metric, "12 mm right lower lobe nodule.",
                        ["14 mm right lower lobe nodule.", "25 mm right lower lobe nodule."])
    assert 1.0 > close > far


def test_more_and_more_serious_false_findings_cost_more(metric):
    one, many = scores(metric, "Mild cardiomegaly.", [
        "Mild cardiomegaly. Small left pleural effusion.",
        "Mild cardiomegaly. Small left pleural effusion. Right pneumothorax. Pneumonia."])
    assert 1.0 > one > many
    missed_urgent, missed_minor = scores(metric, "Large right pneumothorax. Mild atelectasis.", [
        "Mild atelectasis.", "Large right pneumothorax."])
    assert missed_minor > missed_urgent


def test_a_malpositioned_device_reported_in_place_is_an_urgent_error(metric):
    malpositioned, in_place = scores(
        metric, "Endotracheal tube is malpositioned with the tip in the right mainstem bronchus. "
                "Trace right pleural effusion.",
        ["Endotracheal tube is malpositioned.", "Endotracheal tube in satisfactory position. "
                                                "Trace right pleural effusion."])
    assert malpositioned > in_place


def test_an_unspecific_description_earns_partial_credit(metric):
    specific, vague, nothing = scores(metric, "Right lower lobe pneumonia.", [
        "Pneumonia in the right lower lobe.", "Right lower lobe opacity.", "Lungs are clear."])
    assert specific > vague > nothing


def test_patient_context_changes_what_an_omission_costs(metric):
    reference = "Multiple left rib fractures. Right lower lobe consolidation."
    candidate = "Right lower lobe consolidation."
    infant, after_cpr = scores(metric, reference, [candidate, candidate], contexts=[
        {"age": "2", "indication": "Crying, reduced movement of the left arm"},
        {"age": "79", "indication": "Post resuscitation after cardiac arrest"}])
    assert after_cpr > infant
    assert scores(metric, reference, [candidate]) == scores(metric, reference, [candidate],
                                                            contexts=[{}])


def test_an_indication_can_make_two_labels_equivalent(metric):
    fever = {"indication": "Fever and productive cough"}
    same, synonym = scores(metric, "Left lower lobe consolidation.", [
        "Left lower lobe consolidation.", "Left lower lobe pneumonia."], contexts=[fever, fever])
    assert same == synonym == 1.0
    assert scores(metric, "Left lower lobe consolidation.", ["Left lower lobe pneumonia."])[0] < 1


def test_the_breakdown_lists_every_finding_with_its_weight(metric):
    result = metric.compute(predictions=["Small right pleural effusion. Right pneumothorax."],
                            references=["Small left pleural effusion. Mild cardiomegaly."])
    breakdown = result.texts["breakdown"][0]
    assert "mismatched pleural_effusion" in breakdown and "laterality: left vs right" in breakdown
    assert "missed cardiomegaly" in breakdown and "false pneumothorax w=3.00" in breakdown
    assert result.per_sample["n_false"][0] == 1 and result.per_sample["n_missed"][0] == 1
    assert result.per_label["pneumothorax"]["false"] == 1


def test_contexts_must_pair_up(metric):
    with pytest.raises(ValueError, match="contexts"):
        metric.compute(predictions=["a"], references=["b"], contexts=[{}, {}])


def test_patient_context_reads_radpref_ages():
    assert PatientContext.from_mapping({"age": "072Y", "sex": "female"}).age == 72
    assert PatientContext.from_mapping({"age": "6M"}).age == pytest.approx(0.5)
    assert not PatientContext.from_mapping(None)


@pytest.mark.parametrize("name", ["chestxray21", "chexpert14"])
def test_every_label_has_a_graded_rationale(name):
    labelset = load_labelset(name)
    weights = significance_weights(labelset)
    for label in labelset.labels:
        if label.derived is None:
            assert label.id in weights.labels, label.id
            assert weights.labels[label.id].rationale.strip()


def test_significance_naming_an_unknown_label_raises():
    labelset = load_labelset("chestxray21")
    broken = labelset.model_copy(update={"significance": {"labels": {"nonsense": {
        "grade": "urgent", "rationale": "x"}}}})
    with pytest.raises(InputError, match="nonsense"):
        significance_weights(broken)


def test_built_through_the_registry():
    assert build_metric("clinscore", labelset="chestxray21").reads_context


def test_evaluate_reads_patient_context_from_the_reference_file(tmp_path):
    """The same missed rib fracture costs less after CPR than after a fall, when the
    reference JSONL says so (synthetic reports)."""
    import json

    from radprompt.evaluation.core import evaluate_reports

    reference = "Acute fracture of the left sixth rib. No pneumothorax."
    generated = "No pneumothorax."
    rows = [{"id": "cpr", "text": reference, "indication": "post cardiac arrest, CPR"},
            {"id": "fall", "text": reference, "context": {"indication": "fall from a ladder"}}]
    refs = tmp_path / "refs.jsonl"
    refs.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    gen = tmp_path / "gen.jsonl"
    gen.write_text("".join(json.dumps({"id": row["id"], "text": generated}) + "\n"
                           for row in rows), encoding="utf-8")
    evaluation = evaluate_reports(references=refs, generated={"sys": gen},
                                  metrics=["clinscore"], labelset="chestxray21",
                                  n_resamples=10)
    scores = dict(zip(evaluation.paired.ids,
                      evaluation.results[("sys", "clinscore")].sample_scores,
                      strict=True))
    assert scores["cpr"] > scores["fall"]
    assert evaluation.paired.contexts == [{"indication": "post cardiac arrest, CPR"},
                                          {"indication": "fall from a ladder"}]
