"""Ran Score and clinical: counting is radprompt.scoring's; extraction is shared and cached."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radprompt.extractors.base import ExtractionFailure, Extractor
from radprompt.extractors.rules import RulesExtractor
from radprompt.findings import Findings
from radprompt.metrics import Clinical, RanScore
from radprompt.metrics._findings import CachingExtractor
from radprompt.scoring import score

REFERENCES = [
    "Small right pleural effusion. No pneumothorax.",
    "Mild cardiomegaly with pulmonary edema.",
    "No acute cardiopulmonary process.",
    "Right lower lobe pneumonia. Cannot exclude small effusion.",
    "Left pneumothorax.",
]
PREDICTIONS = [
    "Small right pleural effusion.",
    "Cardiomegaly. No edema.",
    "Normal chest.",
    "Right lower lobe consolidation.",
    "Left pneumothorax and a left chest tube.",
]


class CountingExtractor(Extractor):
    def __init__(self, inner: Extractor, *, fail_on: str | None = None) -> None:
        self.inner = inner
        self.fail_on = fail_on
        self.seen: list[str] = []

    def extract(self, reports, *, progress=None):
        self.seen.extend(report.text for report in reports)
        results = self.inner.extract(reports)
        return [ExtractionFailure(r.id, "model said no") if r.text == self.fail_on else result
                for r, result in zip(reports, results, strict=True)]


def test_corpus_scores_are_scorings(chestxray21):
    engine = RulesExtractor(labelset=chestxray21)
    result = RanScore(labelset=chestxray21, extractor=engine).compute(
        predictions=PREDICTIONS, references=REFERENCES)
    predicted = {str(i): f for i, f in enumerate(engine.extract(
        [_report(i, t) for i, t in enumerate(PREDICTIONS)]))}
    reference = {str(i): f for i, f in enumerate(engine.extract(
        [_report(i, t) for i, t in enumerate(REFERENCES)]))}
    expected = score(predictions=predicted, references=reference, labelset=chestxray21)
    assert result.scores["macro_f1"] == pytest.approx(expected.macro_f1)
    assert result.scores["micro_f1"] == pytest.approx(expected.micro_f1)
    reduced = result.reduce(result.statistics.sum(axis=0))
    assert float(reduced["macro_f1"]) == pytest.approx(expected.macro_f1)
    for label in expected.labels:
        assert result.per_label[label.label_id]["f1"] == label.f1


def _report(i, text):
    from radprompt.reports import Report

    return Report(id=str(i), text=text)


def test_clinical_averages_only_defined_labels(chestxray21):
    result = Clinical(labelset=chestxray21).compute(predictions=PREDICTIONS,
                                                    references=REFERENCES)
    defined = [s for s in result.per_label.values() if s["support"] > 0]
    assert result.scores["sensitivity"] == pytest.approx(
        np.mean([s["sensitivity"] for s in defined]))
    assert 0 <= result.scores["specificity"] <= 1
    assert result.sample_primary == "agreement"


def test_caching_extractor_reads_each_text_once(chestxray21):
    counting = CountingExtractor(RulesExtractor(labelset=chestxray21))
    cached = CachingExtractor(counting)
    for metric in (RanScore(labelset=chestxray21, extractor=cached),
                   Clinical(labelset=chestxray21, extractor=cached)):
        metric.compute(predictions=PREDICTIONS, references=REFERENCES)
        metric.compute(predictions=REFERENCES, references=REFERENCES)
    assert sorted(counting.seen) == sorted(set(PREDICTIONS) | set(REFERENCES))
    again = cached.extract([_report("x", REFERENCES[0])])[0]
    assert isinstance(again, Findings) and again.report_id == "x"


def test_a_failed_extraction_leaves_the_pair_unscored(chestxray21):
    broken = CountingExtractor(RulesExtractor(labelset=chestxray21), fail_on=PREDICTIONS[1])
    result = RanScore(labelset=chestxray21, extractor=broken).compute(
        predictions=PREDICTIONS, references=REFERENCES)
    assert math.isnan(result.per_sample["f1"][1])
    assert not math.isnan(result.per_sample["f1"][0])
    assert result.statistics[1].sum() == 0
    assert any("extraction failed" in note for note in result.notes)
