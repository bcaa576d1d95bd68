"""ClinScore: a finding-level clinical score per report, weighted by clinical significance.

Findings of the candidate and of its reference come from the same extractor, with their
attributes (laterality, severity, size, location, temporal change, device and tip position).
Each reference finding earns its weight when the candidate reports it with the same
attributes, part of it when attributes differ or the candidate hedges (``mismatched``) or names
it only vaguely (``vague``: "opacity" for pneumonia), and nothing when it is missed; every
false finding costs its weight. Weights are the labelset's ``significance:`` grades (urgent,
actionable, minor, benign), scaled by the reference's severity, and change with the patient
where a case gives age, sex or indication (``contexts=``): this metric reads patient context.
The per-report score is ``(credit + 1) / (reference weight + false weight + 1)``: 1 for a
perfect report, lower by every error's weight; ``breakdown`` lists every entry.

Example::

    >>> from radprompt.metrics.clinscore import ClinScore
    >>> result = ClinScore().compute(
    ...     predictions=["Small left pleural effusion.", "Small right pleural effusion.",
    ...                  "No effusion."],
    ...     references=["Small left pleural effusion."] * 3)
    >>> [round(float(s), 3) for s in result.sample_scores]
    [1.0, 0.7, 0.4]
    >>> result.texts["breakdown"][1]
    'mismatched pleural_effusion w=1.50 (laterality: left vs right)'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from radprompt.extractors.attributes import extract_attributes
from radprompt.extractors.rules import compile_phrases
from radprompt.findings import Attributes, Findings, State
from radprompt.labelset import LabelSet
from radprompt.metrics._findings import FindingsMetric, resolve_extractor, resolve_labelset
from radprompt.metrics._matching import Breakdown, compare_reports
from radprompt.metrics.base import MetricResult, check_pairs, mean_result, require
from radprompt.metrics.weights import PatientContext, significance_weights
from radprompt.reports import Report

__all__ = ["ClinScore"]

_KINDS = ("matched", "mismatched", "specified", "vague", "missed", "false", "overinterpreted")


class ClinScore(FindingsMetric):
    """The significance-weighted, attribute-aware finding score (see the module)."""

    name = "clinscore"
    description = ("Finding-level clinical score: matched / mismatched / missed / false "
                   "findings with attributes, weighted by clinical significance")
    reads_context: ClassVar[bool] = True

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str],
                contexts: Sequence[Mapping[str, Any] | None] | None = None) -> MetricResult:
        """Score every pair; ``contexts[i]`` (age, sex, indication) is pair i's patient."""
        breakdowns = self.breakdowns(predictions=predictions, references=references,
                                     contexts=contexts)
        np = require("numpy", extra="metrics", needed_by="ClinScore")
        scores = np.array([b.score if b is not None else np.nan for b in breakdowns])
        counts = {f"n_{kind}": [b.count(kind) if b is not None else np.nan
                                for b in breakdowns] for kind in _KINDS}
        result = mean_result(
            self.name, {"score": scores}, primary="score", extra_per_sample=counts,
            texts={"breakdown": [str(b) if b is not None else "not scored" for b in breakdowns]},
            notes=_notes(breakdowns, contexts),
        )
        per_label: dict[str, dict[str, float]] = {}
        for breakdown in breakdowns:
            for entry in breakdown.entries if breakdown is not None else ():
                row = per_label.setdefault(entry.label, dict.fromkeys(_KINDS, 0.0))
                row[entry.kind] += 1
        return dataclasses.replace(result, per_label=per_label)

    def breakdowns(self, *, predictions: Sequence[str], references: Sequence[str],
                   contexts: Sequence[Mapping[str, Any] | None] | None = None
                   ) -> list[Breakdown | None]:
        """Per pair, every matched, missed, false and mismatched finding with its weight
        (``None`` where extraction failed)."""
        predictions, references = check_pairs(predictions, references)
        if contexts is not None and len(contexts) != len(predictions):
            raise ValueError(f"{len(contexts)} contexts for {len(predictions)} pairs")
        labelset = resolve_labelset(self.labelset)
        weights = significance_weights(labelset)
        extractor = resolve_extractor(self.extractor, labelset=labelset)
        n = len(predictions)
        reports = [Report(id=f"prediction-{i}", text=t) for i, t in enumerate(predictions)]
        reports += [Report(id=f"reference-{i}", text=t) for i, t in enumerate(references)]
        results = extractor.extract(reports)
        label_ids = tuple(label.id for label in labelset.labels if label.derived is None
                          and (self.labels is None or label.id in self.labels))
        reader = _AttributeReader(labelset)
        out: list[Breakdown | None] = []
        for i in range(n):
            candidate, reference = results[i], results[n + i]
            if not isinstance(candidate, Findings) or not isinstance(reference, Findings):
                out.append(None)
                continue
            context = PatientContext.from_mapping(contexts[i] if contexts else None)
            out.append(compare_reports(
                reference=reference, candidate=candidate, weights=weights,
                label_ids=label_ids, context=context, candidate_text=predictions[i],
                attributes={**reader.read("reference", reference, label_ids),
                            **reader.read("candidate", candidate, label_ids)}))
        return out


class _AttributeReader:
    """Attributes for findings that carry evidence but none of their own (an extractor that
    does not read them): the label's mention is looked up in the evidence sentence."""

    def __init__(self, labelset: LabelSet) -> None:
        self._patterns = {label.id: compile_phrases(label.mention_phrases, plural=True)
                          for label in labelset.labels}

    def read(self, side: str, findings: Findings, label_ids: tuple[str, ...]
             ) -> dict[tuple[str, str], Attributes]:
        found = {}
        for label_id in label_ids:
            finding = findings.finding(label_id)
            if (finding.state not in (State.PRESENT, State.UNCERTAIN) or finding.attributes
                    or finding.evidence is None):
                continue
            pattern = self._patterns.get(label_id)
            sentence = finding.evidence.text
            match = pattern.search(sentence) if pattern is not None else None
            if match is not None:
                found[(side, label_id)] = extract_attributes(
                    sentence=sentence, mention_start=match.start(), mention_end=match.end())
        return found


def _notes(breakdowns: Sequence[Breakdown | None],
           contexts: Sequence[Mapping[str, Any] | None] | None) -> list[str]:
    notes = ["score = (credit + 1) / (reference weight + false weight + 1); weights from the "
             "labelset's significance section"]
    failed = sum(b is None for b in breakdowns)
    if failed:
        notes.append(f"{failed} pair(s) not scored: extraction failed")
    if contexts is not None:
        notes.append(f"patient context read for {sum(bool(c) for c in contexts)} pair(s)")
    return notes
