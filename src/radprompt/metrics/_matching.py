"""Finding-level comparison of one candidate report with its reference.

Every positive (present or uncertain) finding of either side becomes one entry of a
``Breakdown``: *matched* (same label, attributes agree), *mismatched* (same label, some
attribute errors: partial credit), *vague* (the candidate names it only unspecifically: a
less specific label or phrase), *missed* or *false*. Each entry carries its weight (the
label's clinical-significance grade for this patient, scaled by the reference's severity) and
what it earned or cost. The score is ``(credit + s) / (reference weight + false weight + s)``
with ``s`` the smoothing constant: 1 for a perfect report (a normal report read as normal
included), lower with every missed, false or mis-described finding, by their weight.

Attributes are compared only where both sides state them: a candidate that says "left" where
the reference does not say is not penalised (the reference may simply be less specific).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from radprompt.findings import Attributes, Finding, Findings, State
from radprompt.metrics.weights import PatientContext, SignificanceWeights

__all__ = ["Breakdown", "Entry", "compare_reports"]

_POSITIVE = (State.PRESENT, State.UNCERTAIN)
_SEVERITY_RANK = {"trace": 0, "tiny": 0, "minimal": 0, "small": 1, "mild": 1, "moderate": 2,
                  "large": 3, "severe": 3, "massive": 4}
_TEMPORAL_GROUP = {"new": "worse", "increased": "worse", "worsened": "worse",
                   "decreased": "better", "improved": "better", "resolved": "better",
                   "unchanged": "same"}
_ZONES = (("upper", re.compile(r"upper|apex|apices|apical|biapical")),
          ("lower", re.compile(r"lower|base|basal|basilar|retrocardiac|costophrenic|subpulmonic")),
          ("middle", re.compile(r"middle|mid|lingula|perihilar|parahilar|hilar")))
_MALPOSITION = re.compile(r"mal-?position|mis-?position|misplaced|coiled|kinked|bronch|too\s"
                          r"|high\s+in|low\s+in|deep|shallow|esophag|hypopharynx|neck", re.I)
_SIZE_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(?:x|by|\u00d7)?\s*[\d.\sx]*?(mm|cm|milli|centi)",
                          re.I)


@dataclass(frozen=True)
class Entry:
    """One finding's part in a report's score."""

    label: str
    kind: str
    """matched, mismatched, specified (named more specifically), vague, missed, false or
    overinterpreted (a more specific diagnosis than the reference makes)."""
    weight: float
    credit: float = 0.0
    penalty: float = 0.0
    errors: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"label": self.label, "kind": self.kind, "weight": round(self.weight, 4),
                "credit": round(self.credit, 4), "penalty": round(self.penalty, 4),
                "errors": list(self.errors)}

    def __str__(self) -> str:
        detail = f" ({'; '.join(self.errors)})" if self.errors else ""
        return f"{self.kind} {self.label} w={self.weight:.2f}{detail}"


@dataclass(frozen=True)
class Breakdown:
    entries: tuple[Entry, ...] = ()
    smoothing: float = 1.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def reference_weight(self) -> float:
        return sum(e.weight for e in self.entries if e.kind != "false")

    @property
    def credit(self) -> float:
        return sum(e.credit for e in self.entries)

    @property
    def penalty(self) -> float:
        return sum(e.penalty for e in self.entries)

    @property
    def score(self) -> float:
        return (self.credit + self.smoothing) / (
            self.reference_weight + self.penalty + self.smoothing)

    def count(self, kind: str) -> int:
        return sum(e.kind == kind for e in self.entries)

    def __str__(self) -> str:
        return "; ".join(str(e) for e in self.entries) or "no findings on either side"


def _positive(findings: Findings, label_ids: tuple[str, ...]) -> dict[str, Finding]:
    return {lid: f for lid in label_ids if (f := findings.finding(lid)).state in _POSITIVE}


def compare_reports(
    *,
    reference: Findings,
    candidate: Findings,
    weights: SignificanceWeights,
    label_ids: tuple[str, ...],
    context: PatientContext | None = None,
    candidate_text: str = "",
    attributes: Mapping[tuple[str, str], Attributes] | None = None,
) -> Breakdown:
    """Match the positive findings of ``candidate`` against those of ``reference``.

    ``attributes`` may give the attributes per (side, label) where the findings carry none
    (side ``"reference"`` or ``"candidate"``).
    """
    ref, cand = _positive(reference, label_ids), _positive(candidate, label_ids)
    attrs = dict(attributes or {})

    def attributes_of(side: str, label: str, finding: Finding) -> Attributes:
        return finding.attributes or attrs.get((side, label)) or Attributes()

    _take_equivalents(ref, cand, attrs, weights, context)
    entries: list[Entry] = []
    explained: set[str] = set()
    for label, r in ref.items():
        weight = _reference_weight(label, r, weights, context,
                                   attributes_of("reference", label, r))
        if label in cand:
            c = cand[label]
            entries.append(_matched(label, weight, r, c, weights,
                                    attributes_of("reference", label, r),
                                    attributes_of("candidate", label, c)))
            continue
        specific = _more_specific(label, ref, cand, weights)
        if specific is not None:  # "interstitial lung disease" for a reference "opacity"
            explained.add(specific)
            entries.append(Entry(label, "specified", weight,
                                 credit=weight * (1 - weights.attribute_errors.certainty),
                                 errors=(f"more specific: {specific}",)))
            continue
        vague = _vague(label, ref, cand, weights, candidate_text)
        if vague is not None:
            explained.add(vague)
            entries.append(Entry(label, "vague", weight, credit=weight * weights.vague_credit,
                                 errors=(f"unspecific: {vague}",)))
        else:
            entries.append(Entry(label, "missed", weight))
    for label, c in cand.items():
        if not (label in ref or _is_vague_name(label, ref, weights)):
            entries.extend(_unmatched(label, ref, weights, explained, _reference_weight(
                label, c, weights, context, attributes_of("candidate", label, c))))
    return Breakdown(entries=tuple(entries), smoothing=weights.smoothing)


def _take_equivalents(ref: dict[str, Finding], cand: dict[str, Finding],
                      attrs: dict[tuple[str, str], Attributes], weights: SignificanceWeights,
                      context: PatientContext | None) -> None:
    """A candidate finding equivalent to a reference one in this patient counts as it
    ("pneumonia" for "consolidation" in a patient with fever)."""
    for label in ref:
        if label not in cand:
            for other in weights.equivalents(label, context):
                if other in cand and other not in ref:
                    cand[label] = cand.pop(other)
                    attrs[("candidate", label)] = attrs.get(("candidate", other), Attributes())
                    break


def _unmatched(label: str, ref: dict[str, Finding], weights: SignificanceWeights,
               explained: set[str], weight: float) -> list[Entry]:
    """The entry of a candidate finding the reference does not have."""
    broader = _broader_reference(label, ref, weights)
    if broader is not None:  # "pneumonia" where the reference saw only an opacity
        weight *= weights.overinterpretation_factor
        return [Entry(label, "overinterpreted", weight, penalty=weight,
                      errors=(f"reference says only {broader}",))]
    if label not in explained:
        return [Entry(label, "false", weight, penalty=weight)]
    return []


def _reference_weight(label: str, finding: Finding, weights: SignificanceWeights,
                      context: PatientContext | None, attributes: Attributes) -> float:
    weight = weights.weight(label, context)
    if attributes.severity:
        weight *= weights.severity_factors.get(attributes.severity, 1.0)
    if attributes.temporal:
        weight *= weights.temporal_factors.get(attributes.temporal, 1.0)
    if finding.state is State.UNCERTAIN:
        weight *= weights.uncertain_factor
    return weight


def _vague(label: str, ref: Mapping[str, Finding], cand: Mapping[str, Finding],
           weights: SignificanceWeights, text: str) -> str | None:
    """What in the candidate names the missed reference finding unspecifically, if anything."""
    entry = weights.labels.get(label)
    if entry is None:
        return None
    for other in entry.vague_labels:
        if other in cand and other not in ref:
            return other
    lowered = text.lower()
    for phrase in entry.vague_phrases:
        for match in re.finditer(rf"(?<!\w){re.escape(phrase.lower())}", lowered):
            before = lowered[max(0, match.start() - 30):match.start()]
            if not re.search(r"(?<!\w)(?:no|without|normal|clear|resolved)(?!\w)[^.]*$",
                             before):
                return phrase
    return None


def _more_specific(label: str, ref: Mapping[str, Finding], cand: Mapping[str, Finding],
                   weights: SignificanceWeights) -> str | None:
    """A candidate finding that names the reference's vague finding more specifically."""
    for other in cand:
        entry = weights.labels.get(other)
        if other not in ref and entry is not None and label in entry.vague_labels:
            return other
    return None


def _is_vague_name(label: str, ref: Mapping[str, Finding], weights: SignificanceWeights
                   ) -> bool:
    """Is a candidate finding a less specific name of a reference finding (opacity for
    pneumonia)? Then it is no false finding."""
    return any(label in entry.vague_labels for other in ref
               if (entry := weights.labels.get(other)) is not None)


def _broader_reference(label: str, ref: Mapping[str, Finding], weights: SignificanceWeights
                       ) -> str | None:
    """The reference finding that the candidate's finding names more specifically."""
    mine = weights.labels.get(label)
    if mine is None:
        return None
    return next((other for other in mine.vague_labels if other in ref), None)


def _matched(label: str, weight: float, r: Finding, c: Finding, weights: SignificanceWeights,
             ra: Attributes, ca: Attributes) -> Entry:
    errors, share, malposition = attribute_errors(ra, ca, weights)
    if r.state is not c.state:
        errors.append(f"certainty: {r.state.value} vs {c.state.value}")
        share += weights.attribute_errors.certainty
    share = min(share, weights.attribute_errors.cap)
    penalty = weights.grades[weights.attribute_errors.malposition] if malposition else 0.0
    kind = "mismatched" if errors else "matched"
    return Entry(label, kind, weight, credit=weight * (1 - share), penalty=penalty,
                 errors=tuple(errors))


def attribute_errors(ra: Attributes, ca: Attributes, weights: SignificanceWeights
                     ) -> tuple[list[str], float, bool]:
    """Errors (described), the share of weight they cost, and whether a device's position
    (in place vs malpositioned) is wrong."""
    w = weights.attribute_errors
    errors: list[str] = []
    share = 0.0
    if ra.laterality and ca.laterality and ra.laterality != ca.laterality:
        partial = "bilateral" in (ra.laterality, ca.laterality)
        share += w.laterality_partial if partial else w.laterality
        errors.append(f"laterality: {ra.laterality} vs {ca.laterality}")
    if ra.severity and ca.severity:
        steps = abs(_SEVERITY_RANK.get(ra.severity, 2) - _SEVERITY_RANK.get(ca.severity, 2))
        if steps:
            share += w.severity_step * steps
            errors.append(f"severity: {ra.severity} vs {ca.severity}")
    size_error = _size_error(ra.size, ca.size)
    if size_error > 0.05:
        share += w.size * min(1.0, size_error / 0.5)
        errors.append(f"size: {ra.size} vs {ca.size}")
    rz, cz = _zone(ra.location), _zone(ca.location)
    if rz and cz and not rz & cz:
        share += w.location
        errors.append(f"location: {ra.location} vs {ca.location}")
    if ra.temporal and ca.temporal and ra.temporal != ca.temporal:
        same_group = _TEMPORAL_GROUP.get(ra.temporal) == _TEMPORAL_GROUP.get(ca.temporal)
        share += w.temporal_step if same_group else w.temporal
        errors.append(f"temporal: {ra.temporal} vs {ca.temporal}")
    if ra.device_type and ca.device_type and ra.device_type != ca.device_type:
        share += w.device_type
        errors.append(f"device: {ra.device_type} vs {ca.device_type}")
    malposition = False
    if ra.tip_position and ca.tip_position:
        malposition = bool(_MALPOSITION.search(ra.tip_position)) != bool(
            _MALPOSITION.search(ca.tip_position))
        if malposition:  # the description is wrong where it matters: no credit left
            share += w.cap
            errors.append(f"tip: {ra.tip_position} vs {ca.tip_position}")
    return errors, share, malposition


def _millimetres(size: str | None) -> float | None:
    if not size:
        return None
    match = _SIZE_NUMBER.search(size)
    if match is None:
        return None
    value = float(match.group(1))
    return value * 10 if match.group(2).lower().startswith(("cm", "c")) else value


def _size_error(a: str | None, b: str | None) -> float:
    """Relative difference of two measurements (their first dimension), 0 if either is
    missing."""
    ma, mb = _millimetres(a), _millimetres(b)
    if not ma or not mb:
        return 0.0
    return abs(ma - mb) / max(ma, mb)


def _zone(location: str | None) -> frozenset[str]:
    if not location:
        return frozenset()
    return frozenset(zone for zone, pattern in _ZONES if pattern.search(location))
