"""Scoring: confusion counts, Ran Score macro-F1, micro-F1, the 4-state view, verdicts."""

from __future__ import annotations

import pytest

from radprompt.findings import Finding, Findings, State
from radprompt.labelset import UncertaintyPolicy
from radprompt.scoring import Verdict, f1_score, score

P, A, U = State.PRESENT, State.ABSENT, State.UNCERTAIN


def findings(report_id: str, **states: State) -> Findings:
    return Findings(report_id, {label: Finding(state) for label, state in states.items()})


def test_counts_and_rates(mini_labelset):
    references = {
        "1": findings("1", pneumothorax=P),
        "2": findings("2", pneumothorax=P),
        "3": findings("3", pneumothorax=A),
        "4": findings("4"),
    }
    predictions = {
        "1": findings("1", pneumothorax=P),
        "2": findings("2", pneumothorax=A),
        "3": findings("3", pneumothorax=P),
        "4": findings("4"),
    }
    s = score(predictions=predictions, references=references,
              labelset=mini_labelset).label("pneumothorax")
    assert (s.tp, s.fp, s.fn, s.tn) == (1, 1, 1, 1)
    assert (s.precision, s.recall, s.specificity, s.support) == (0.5, 0.5, 0.5, 2)
    assert s.f1 == pytest.approx(0.5)


def test_macro_f1_is_the_plain_mean_with_zero_division_zero(mini_labelset):
    references = {"1": findings("1", pneumothorax=P), "2": findings("2")}
    predictions = {"1": findings("1", pneumothorax=P), "2": findings("2", pneumonia=P)}
    report = score(predictions=predictions, references=references, labelset=mini_labelset)
    per_label = {s.label_id: s.f1 for s in report.labels}
    # pneumothorax perfect; pneumonia a lone false positive -> 0; labels never positive on
    # either side also score 0 (zero_division=0), as Ran Score defines it
    assert per_label["pneumothorax"] == 1.0
    assert per_label["pneumonia"] == 0.0
    assert per_label["atelectasis"] == 0.0
    assert report.macro_f1 == pytest.approx(sum(per_label.values()) / len(per_label))
    # micro-F1 pools the counts of every label
    tp = sum(s.tp for s in report.labels)
    fp = sum(s.fp for s in report.labels)
    fn = sum(s.fn for s in report.labels)
    assert report.micro_f1 == pytest.approx(f1_score(tp, fp, fn))


def test_uncertainty_policy_decides_the_binary_view(mini_labelset):
    # atelectasis counts uncertain as negative in the mini labelset; pneumonia as positive
    references = {"1": findings("1", atelectasis=P, pneumonia=P)}
    predictions = {"1": findings("1", atelectasis=U, pneumonia=U)}
    report = score(predictions=predictions, references=references, labelset=mini_labelset)
    assert report.label("pneumonia").tp == 1
    assert report.label("atelectasis").fn == 1
    forced = score(predictions=predictions, references=references, labelset=mini_labelset,
                   uncertain_as=UncertaintyPolicy.NEGATIVE)
    assert forced.label("pneumonia").fn == 1


def test_four_state_view(mini_labelset):
    references = {"1": findings("1", pneumonia=A), "2": findings("2", pneumonia=U),
                  "3": findings("3", pneumonia=P), "4": findings("4")}
    predictions = {"1": findings("1", pneumonia=A), "2": findings("2", pneumonia=A),
                   "3": findings("3", pneumonia=P), "4": findings("4", pneumonia=U)}
    states = score(predictions=predictions, references=references,
                   labelset=mini_labelset).label("pneumonia").states
    assert states is not None
    assert states.mention_f1 == pytest.approx(f1_score(3, 1, 0))
    assert states.negation_f1 == pytest.approx(f1_score(1, 1, 0))
    assert states.uncertainty_f1 == pytest.approx(f1_score(0, 1, 1))


def test_verdicts_and_insufficient_support(mini_labelset):
    references = {str(i): findings(str(i), pneumothorax=P) for i in range(3)}
    predictions = {str(i): findings(str(i), pneumothorax=P) for i in range(3)}
    report = score(predictions=predictions, references=references, labelset=mini_labelset,
                   min_support=3)
    assert report.label("pneumothorax").verdict is Verdict.PASS
    assert report.label("pneumonia").verdict is Verdict.INSUFFICIENT_SUPPORT
    failing = {"0": findings("0")}
    assert score(predictions=failing, references=references, labelset=mini_labelset,
                 min_support=3).label("pneumothorax").verdict is Verdict.FAIL


def test_missing_predictions_count_as_not_mentioned_and_are_listed(mini_labelset):
    references = {"1": findings("1", pneumothorax=P), "2": findings("2", pneumothorax=P)}
    report = score(predictions={"1": findings("1", pneumothorax=P)}, references=references,
                   labelset=mini_labelset)
    assert report.missing_predictions == ("2",)
    assert report.label("pneumothorax").fn == 1


def test_labels_restrict_scoring(mini_labelset):
    report = score(predictions={}, references={"1": findings("1")}, labelset=mini_labelset,
                   labels=["pneumothorax"])
    assert [s.label_id for s in report.labels] == ["pneumothorax"]
    assert "pneumonia" in report.unscored_labels
    with pytest.raises(ValueError, match="not in labelset"):
        score(predictions={}, references={}, labelset=mini_labelset, labels=["gallstones"])
