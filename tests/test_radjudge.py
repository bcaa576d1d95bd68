"""The RadJudge reader and the ranking-agreement count."""

from __future__ import annotations

import json

import pytest

from radprompt.errors import InputError
from radprompt.metrics import build_metric
from radprompt.radjudge import (
    Candidate,
    RankingTest,
    Relation,
    UnrankedMetricError,
    check_rankings,
    rank_agreement,
    read_radjudge,
)

# synthetic cases: an exact copy must outrank a negated finding; two phrasings of one finding
SYNTHETIC = [
    RankingTest(id="s1", category="synthetic", ground_truth="Small left pleural effusion.",
                candidates={"C1": Candidate("Small left pleural effusion."),
                            "C2": Candidate("No pleural effusion.")},
                expected=(Relation("C1", ">", "C2"),)),
    RankingTest(id="s2", category="synthetic", ground_truth="Mild cardiomegaly.",
                candidates={"C1": Candidate("The heart is mildly enlarged."),
                            "C2": Candidate("Mild cardiomegaly.")},
                expected=(Relation("C2", ">", "C1"),)),
]


def test_reads_the_shared_file(shared_data):
    tests = read_radjudge(shared_data / "radjudge" / "radjudge_test_cases.json")
    assert len(tests) == 30
    assert sum(len(test.expected) for test in tests) == 36
    by_id = {test.id: test for test in tests}
    assert by_id["7b"].expected == (Relation("C3", ">", "C2"), Relation("C2", ">", "C1"))
    assert by_id["2a"].candidates["C1"].context["age"] == "25"


def test_agreement_counts(shared_data):
    tests = read_radjudge(shared_data / "radjudge" / "radjudge_test_cases.json")
    agreement = rank_agreement(tests, metrics=["bleu", "rouge", "ranscore", "readability"])
    summary = agreement.summary
    assert list(summary.index) == ["bleu", "rouge", "ranscore"]  # readability is not ranked
    assert agreement.unranked == ("readability",)
    assert (summary["tests"] == 30).all()
    assert summary.loc["bleu", "tests_reproduced"] == 4
    assert summary.loc["rouge", "tests_reproduced"] == 2
    assert set(agreement.by_category.columns) >= {"Paraphrase Robustness"}


def test_relations_hold_with_tolerance():
    assert Relation("C1", "=", "C2").holds({"C1": 0.5, "C2": 0.5000001}, tolerance=1e-6)
    assert not Relation("C1", ">", "C2").holds({"C1": 0.5, "C2": 0.5}, tolerance=1e-6)
    assert Relation("C1", ">", "C2").holds({"C1": 1.0, "C2": 2.0}, tolerance=0,
                                           higher_is_better=False)
    assert not Relation("C1", "=", "C2").holds({"C1": float("nan"), "C2": 0.0}, tolerance=1)


def test_malformed_files(tmp_path):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"RANKING_TESTS": [{"category": "x", "tests": [
        {"id": "1", "ground_truth": "a", "candidates": {"C1": {"text": "b"}},
         "expected_ranking": "C1 > C9"}]}]}))
    with pytest.raises(InputError, match="C9"):
        read_radjudge(path)
    path.write_text("[]")
    with pytest.raises(InputError, match="RANKING_TESTS"):
        read_radjudge(path)


def test_a_descriptive_metric_ranks_nothing_either_way():
    """readability has no direction (higher_is_better None): check_rankings refuses it rather
    than counting it as higher-is-better, and rank_agreement names it instead of a row."""
    with pytest.raises(UnrankedMetricError, match="readability is descriptive"):
        check_rankings(SYNTHETIC, metric=build_metric("readability"), name="readability")
    agreement = rank_agreement(SYNTHETIC, metrics=["bleu", "readability"])
    assert agreement.unranked == ("readability",)
    assert list(agreement.summary.index) == ["bleu"]


def test_one_path_for_metric_objects_and_registry_names():
    by_object = check_rankings(SYNTHETIC, metric=build_metric("bleu"), name="bleu")
    summary = rank_agreement(SYNTHETIC, metrics=["bleu"]).summary
    assert summary.loc["bleu", "tests_reproduced"] == by_object.reproduced
    assert by_object.reproduced == 2  # the verbatim candidate outscores the other in both
    assert by_object.to_json()["failed"] == {}
