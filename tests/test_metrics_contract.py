"""The Metric contract, run over every registered metric."""

from __future__ import annotations

import importlib
import inspect
import json

import numpy as np
import pytest

from radprompt.metrics import (
    METRICS,
    Metric,
    MetricResult,
    build_metric,
    metric_class,
    metric_names,
    metric_options,
)
from radprompt.metrics.meteor import find_wordnet

REFERENCES = [
    "The heart is normal in size. No pleural effusion or pneumothorax.",
    "Small right pleural effusion with adjacent atelectasis.",
    "Mild cardiomegaly. Lungs are clear.",
    "Endotracheal tube tip 4 cm above the carina. No pneumothorax.",
]
PREDICTIONS = [
    "Normal heart size. No effusion.",
    "Large left pleural effusion.",
    "Mild cardiomegaly. Lungs are clear.",
    "No acute cardiopulmonary process.",
]
CRITERIA = ("accuracy", "faithfulness", "completeness", "clarity")


def _judge_answer(messages):
    user = messages[1]["content"]
    reference = user.split("Reference report:")[1].split("Generated report:")[0].strip()
    generated = user.split("Generated report:")[1].strip()
    score = 5 if reference == generated else 2
    return json.dumps({name: {"justification": "compared", "score": score} for name in CRITERIA})


@pytest.fixture(scope="module")
def judge_server():
    from radprompt.testing import FakeOpenAIServer

    with FakeOpenAIServer(answerer=_judge_answer) as server:
        yield server


@pytest.fixture(scope="module")
def significance_server():
    from radprompt.labelset import load_labelset
    from radprompt.testing import FakeOpenAIServer
    from radprompt.testing.fake_judge import RulesJudgeAnswerer

    answerer = RulesJudgeAnswerer(labelset=load_labelset("chestxray21"))
    with FakeOpenAIServer(answerer=answerer) as server:
        yield server


def _trained_model():
    """A significance classifier fitted on synthetic pairs of the demo corpus."""
    from radprompt.labelset import load_labelset
    from radprompt.reports import read_dataset
    from radprompt.significance import generate_pairs
    from radprompt.significance.trained import SignificanceClassifier

    labels = load_labelset("chestxray21")
    reports = read_dataset("experiments/demo/train.jsonl", labelset=labels).reports[:40]
    pairs = generate_pairs(reports, labelset=labels, seed=0).pairs
    return SignificanceClassifier(labelset="chestxray21").fit_pairs(pairs)


@pytest.fixture(scope="module")
def metrics(judge_server, significance_server) -> dict[str, Metric]:
    """Every metric, built once (BERTScore loads its encoder once for the module)."""
    from radprompt.llm import LLMRecipe

    def recipe(server):
        return LLMRecipe(model="hosted_vllm/judge", api_base=server.base_url,
                         backend="openai_compatible", cache=False)

    options = {"judge": {"recipe": recipe(judge_server)},
               "judge_one_pass": {"recipe": recipe(significance_server)},
               "judge_two_pass": {"recipe": recipe(significance_server)},
               "trained": {"model": _trained_model()}}
    return {name: build_metric(name, labelset="chestxray21", **options.get(name, {}))
            for name in METRICS}


def _skip_if_unavailable(name: str) -> None:
    if name == "meteor":
        try:
            find_wordnet()
        except Exception as exc:
            pytest.skip(str(exc))


@pytest.fixture(scope="module")
def results(metrics) -> dict[str, MetricResult]:
    cache = {}
    for name, metric in metrics.items():
        try:
            cache[name] = metric.compute(predictions=PREDICTIONS, references=REFERENCES)
        except Exception as exc:  # reported per test below
            cache[name] = exc
    return cache


@pytest.fixture(params=list(METRICS))
def name(request) -> str:
    _skip_if_unavailable(request.param)
    return request.param


def test_registry_keys_are_module_names_with_an_example():
    for key, entry in METRICS.items():
        cls = metric_class(key)
        assert cls.name == key
        module = entry.partition(":")[0] if isinstance(entry, str) else f"radprompt.metrics.{key}"
        assert cls.__module__ == module
        assert "Example::" in (importlib.import_module(cls.__module__).__doc__ or "")


def test_unknown_options_raise_naming_the_known_ones():
    with pytest.raises(ValueError, match="use_stemmer"):
        build_metric("rouge", stemmer=True)
    with pytest.raises(ValueError, match=r"known: .*clinscore"):
        build_metric("no-such-metric")
    assert build_metric("bleu", labelset="chestxray21").name == "bleu"  # shared: ignored


def test_metrics_that_read_patient_context_say_so():
    readers = {name for name in METRICS if metric_class(name).reads_context}
    assert readers == {"clinscore", "composite"}


def test_compute_is_keyword_only(metrics, name):
    with pytest.raises(TypeError):
        metrics[name].compute(PREDICTIONS, REFERENCES)  # type: ignore[misc]


def test_length_mismatch_is_an_error(metrics, name):
    with pytest.raises(ValueError, match="pair up"):
        metrics[name].compute(predictions=PREDICTIONS, references=REFERENCES[:2])


def test_result_shape(results, name):
    result = results[name]
    assert isinstance(result, MetricResult), result
    n = len(REFERENCES)
    assert result.n_samples == n
    assert result.primary in result.scores
    assert len(result.sample_scores) == n
    for values in result.per_sample.values():
        assert len(values) == n
    for values in result.texts.values():
        assert len(values) == n


def test_statistics_reproduce_corpus_scores(results, name):
    result = results[name]
    reduced = result.reduce(result.statistics.sum(axis=0))
    for key, value in result.scores.items():
        assert float(reduced[key]) == pytest.approx(value, nan_ok=True), key


def test_identical_texts_score_at_least_as_well(metrics, results, name):
    result = results[name]
    if result.higher_is_better is None:
        pytest.skip("descriptive metric")
    same = metrics[name].compute(predictions=REFERENCES, references=REFERENCES)
    assert same.value >= result.value
    assert np.all(same.sample_scores >= result.sample_scores - 1e-9)


def test_what_callers_need_is_stated_on_the_class():
    for name in METRICS:
        cls = metric_class(name)
        # one shared check in Metric.compute, then the metric's own _compute
        assert cls.compute is Metric.compute and not inspect.isabstract(cls), name
        takes_findings = {"labelset", "extractor"} <= set(metric_options(name))
        assert cls.needs_extractor == takes_findings, name
    assert {n for n in METRICS if metric_class(n).needs_model} == {
        "judge", "trained", "judge_one_pass", "judge_two_pass"}
    assert metric_names(model_free=True) == [n for n in METRICS if not
                                             metric_class(n).needs_model]


def test_results_agree_with_the_class(results, name):
    assert results[name].higher_is_better == metric_class(name).higher_is_better
    assert results[name].metric == name


def test_contexts_are_checked_once_for_every_metric(metrics, name):
    with pytest.raises(ValueError, match="contexts"):
        metrics[name].compute(predictions=PREDICTIONS, references=REFERENCES, contexts=[{}])
    with pytest.raises(ValueError, match="not one string"):
        metrics[name].compute(predictions="a report", references="a report")
