"""Discrimination / robustness rates, the features and the trained significance metric."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radprompt.metrics import build_metric
from radprompt.reports import read_dataset
from radprompt.significance import generate_pairs
from radprompt.significance.discrimination import (
    _auc,
    build_metrics,
    discrimination_robustness,
    evaluate_pairs,
    plot_tradeoff,
)
from radprompt.significance.features import AGGREGATE_FEATURES, FindingFeatures
from radprompt.significance.perturb import Pair

pytest.importorskip("sklearn")

from radprompt.significance.trained import (
    SignificanceClassifier,
    TrainedSignificance,
)


@pytest.fixture(scope="module")
def labels():
    from radprompt.labelset import load_labelset

    return load_labelset("chestxray21")


@pytest.fixture(scope="module")
def split_pairs(labels):
    train = read_dataset("experiments/demo/train.jsonl", labelset=labels).reports[:60]
    test = read_dataset("experiments/demo/test.jsonl", labelset=labels).reports[:25]
    return (generate_pairs(train, labelset=labels, seed=0).pairs,
            generate_pairs(test, labelset=labels, seed=1).pairs)


@pytest.fixture(scope="module")
def model(split_pairs):
    return SignificanceClassifier(labelset="chestxray21").fit_pairs(split_pairs[0])


def pair(kind: str, significant: bool) -> Pair:
    return Pair(kind, "r", kind, significant, "reference", "variant")


def test_rates_by_definition():
    pairs = [pair("laterality_swap", True), pair("negation_flip", True),
             pair("synonym", False), pair("formatting", False)]
    rates = discrimination_robustness(pairs, identity=[1.0, 1.0, 1.0, 1.0],
                                      variant=[0.9, 1.0, 0.99, 0.5], tolerance=0.02)
    assert rates.discrimination == 0.5 and rates.robustness == 0.5
    assert rates.balance == pytest.approx(0.5)
    assert rates.by_kind == {"laterality_swap": 1.0, "negation_flip": 0.0, "synonym": 1.0,
                             "formatting": 0.0}
    # drops: errors 0.1, 0.0; harmless 0.01, 0.5 -> pairs (0.1 > 0.01), (0.0 < 0.01) ...
    assert rates.auc == pytest.approx(0.25)
    strict = discrimination_robustness(pairs, identity=[1.0] * 4, variant=[0.9, 1.0, 0.99, 0.5],
                                       tolerance=0.0, margin=0.2)
    assert strict.discrimination == 0.0 and strict.robustness == 0.0 and strict.balance == 0.0


def test_unscored_pairs_are_left_out_and_counted():
    pairs = [pair("negation_flip", True), pair("synonym", False), pair("synonym", False)]
    rates = discrimination_robustness(pairs, identity=[1.0, 1.0, 1.0],
                                      variant=[0.0, math.nan, 1.0])
    assert rates.unscored == 1 and rates.n_harmless == 1 and rates.robustness == 1.0


def test_auc_counts_ties_half():
    assert _auc(np.array([1.0, 1.0]), np.array([1.0])) == 0.5
    assert _auc(np.array([2.0]), np.array([1.0, 0.0])) == 1.0
    assert math.isnan(_auc(np.array([]), np.array([1.0])))


def test_features_of_a_pair(labels):
    features = FindingFeatures(labelset=labels)
    row = features.pair_features(reference="Small left pleural effusion. No pneumothorax.",
                                 candidate="Moderate left pleural effusion. Pneumothorax. "
                                           "Mild cardiomegaly.")
    assert row["severity_mismatch"] == 1.0 and row["negation_flips"] == 1.0
    assert row["added_findings"] == 1.0 and row["laterality_mismatches"] == 0.0
    assert row["disagree:cardiomegaly"] == 1.0 and row["disagree:pleural_effusion"] == 0.0
    sizes = features.pair_features(reference="A 12 mm nodule.", candidate="A 2.4 cm nodule.")
    assert sizes["measurement_mismatch"] == pytest.approx(math.log(2))
    device = features.pair_features(reference="ETT tip 4 cm above the carina.",
                                    candidate="ETT tip in the right mainstem bronchus.")
    assert device["device_position_mismatches"] == 1.0
    assert features.feature_names[:len(AGGREGATE_FEATURES)] == list(AGGREGATE_FEATURES)
    same = features.transform(references=["No effusion."], candidates=["No effusion."])
    assert same.shape == (1, len(features.feature_names)) and not same.any()


def test_trained_metric_is_monotonic_and_separates_held_out_pairs(model, split_pairs):
    assert all(weight >= 0 for weight in model.coefficients().values())
    assert model.coefficients()["laterality_mismatches"] > 1
    rates = evaluate_pairs(split_pairs[1], metrics={"trained": TrainedSignificance(model=model),
                                                    "rouge": build_metric("rouge")})
    trained, rouge = rates.rates["trained"], rates.rates["rouge"]
    assert trained.discrimination > 0.9 and trained.robustness > 0.9
    assert trained.balance > rouge.balance and trained.auc > rouge.auc


def test_explanations_name_the_deciding_features(model):
    drivers = model.explain(references=["Small left pleural effusion."],
                            candidates=["Small right pleural effusion."])[0]
    assert drivers[0].feature == "laterality_mismatches" and drivers[0].contribution > 0
    assert model.explain(references=["No effusion."], candidates=["No effusion."]) == [[]]


def test_save_and_load(model, tmp_path):
    model_path, sidecar = model.save(tmp_path / "model")
    assert model_path.suffix == ".joblib" and sidecar.suffix == ".json"
    loaded = SignificanceClassifier.load(model_path)
    texts = {"references": ["Left effusion."], "candidates": ["Right effusion."]}
    assert loaded.predict_proba(**texts) == pytest.approx(model.predict_proba(**texts))
    result = TrainedSignificance(model=sidecar).compute(predictions=["Right effusion."],
                                                        references=["Left effusion."])
    assert result.scores["score"] < 0.5 and "p_significant" in result.per_sample


def test_unfitted_and_one_class_errors():
    with pytest.raises(ValueError, match="not fitted"):
        SignificanceClassifier().coefficients()
    with pytest.raises(ValueError, match="both"):
        SignificanceClassifier().fit(references=["a"], candidates=["b"], significant=[True])


def test_build_metrics_and_plot(tmp_path, model):
    metrics = build_metrics(["rouge", "ranscore"])
    assert set(metrics) == {"rouge", "ranscore"}
    with pytest.raises(ValueError, match="needs a model"):
        build_metrics(["trained"])
    with pytest.raises(ValueError, match="unknown metric 'typo'"):
        build_metrics(["typo"])
    pairs = [pair("negation_flip", True), pair("synonym", False)]
    rates = {"a": discrimination_robustness(pairs, identity=[1, 1], variant=[0, 1]),
             "b": discrimination_robustness(pairs, identity=[1, 1], variant=[1, 0])}
    path = plot_tradeoff(rates, tmp_path / "plot.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
