"""Clinical-significance weights of a labelset: how much each finding, and each kind of
attribute error, counts when a generated report gets it wrong.

They live in the labelset YAML, in a top-level ``significance:`` section, written by us with a
rationale per label (CRIMSON's grades: urgent, actionable, minor, benign)::

    significance:
      grades: {urgent: 3.0, actionable: 2.0, minor: 1.0, benign: 0.5}
      attribute_errors: {laterality: 0.5, severity_step: 0.15, ...}
      labels:
        pneumothorax:
          grade: urgent
          rationale: may need a chest tube today
          vague_phrases: [lucency]          # an unspecific description earns partial credit
          context:
            - {indication: [trauma], grade: urgent}

A ``context`` rule changes a label's grade for one patient (age, sex, indication): rib
fractures are expected after resuscitation but urgent in an infant. An ``equivalent`` rule
counts another label as this one for some indications (consolidation and pneumonia in a
patient with fever). Labels without an entry weigh ``default_grade``.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> weights = significance_weights(load_labelset("chestxray21"))
    >>> weights.weight("pneumothorax") > weights.weight("calcification")
    True
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from radprompt.errors import InputError
from radprompt.labelset import LabelSet

__all__ = [
    "AttributeErrorWeights",
    "ContextRule",
    "LabelSignificance",
    "PatientContext",
    "SignificanceWeights",
    "significance_weights",
]

Grade = Literal["urgent", "actionable", "minor", "benign", "expected"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PatientContext(_Strict):
    """What a case says about the patient: age in years, sex, the indication for the study."""

    age: float | None = None
    sex: str | None = None
    indication: str = ""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> PatientContext:
        """Read ``{"age": "82", "indication": ...}``, RadPref's ``"072Y"`` ages included;
        other keys are ignored."""
        data = data or {}
        age = None
        match = re.match(r"\s*(\d+(?:\.\d+)?)\s*([YMWD]?)", str(data.get("age") or ""), re.I)
        if match:
            scale = {"": 1.0, "Y": 1.0, "M": 1 / 12, "W": 1 / 52, "D": 1 / 365}
            age = float(match.group(1)) * scale[match.group(2).upper()]
        sex = str(data.get("sex") or "").strip().upper()[:1] or None
        return cls(age=age, sex=sex, indication=str(data.get("indication") or "").strip())

    def __bool__(self) -> bool:
        return self.age is not None or self.sex is not None or bool(self.indication)


class ContextRule(_Strict):
    """Where the patient matches (every given condition), the label takes ``grade``."""

    grade: Grade
    indication: tuple[str, ...] = ()
    """Words or phrases, any of which in the indication matches (case-insensitive)."""
    age_over: float | None = None
    age_under: float | None = None
    why: str = ""

    def matches(self, context: PatientContext) -> bool:
        if not (self.indication or self.age_over is not None or self.age_under is not None):
            return False
        if self.indication and not _mentions(context.indication, self.indication):
            return False
        if self.age_over is not None and (context.age is None or context.age <= self.age_over):
            return False
        return self.age_under is None or (context.age is not None
                                          and context.age < self.age_under)


class Equivalence(_Strict):
    """``label`` in a candidate counts as this finding when the indication mentions one of
    ``indication`` (empty: always)."""

    label: str
    indication: tuple[str, ...] = ()
    why: str = ""


class LabelSignificance(_Strict):
    grade: Grade
    rationale: str = Field(min_length=1)
    vague_labels: tuple[str, ...] = ()
    """Less specific labels that describe this finding vaguely (lung opacity for pneumonia):
    a candidate that reports one of them instead earns ``vague_credit`` and no false finding."""
    vague_phrases: tuple[str, ...] = ()
    """Unspecific descriptions outside the taxonomy ("lucency" for a pneumothorax)."""
    context: tuple[ContextRule, ...] = ()
    equivalent: tuple[Equivalence, ...] = ()


class AttributeErrorWeights(_Strict):
    """Share of a matched finding's weight lost per attribute error (capped at ``cap``)."""

    laterality: float = 0.5
    laterality_partial: float = 0.25
    severity_step: float = 0.15
    size: float = 0.5
    location: float = 0.35
    temporal: float = 0.3
    temporal_step: float = 0.1
    device_type: float = 0.5
    certainty: float = 0.25
    cap: float = 0.9
    malposition: Grade = "urgent"
    """A device reported in place when it is malpositioned (or the reverse) is an error of
    its own, weighed by this grade."""


class SignificanceWeights(_Strict):
    grades: dict[str, float] = Field(default_factory=lambda: {
        "urgent": 3.0, "actionable": 2.0, "minor": 1.0, "benign": 0.5, "expected": 0.25})
    default_grade: Grade = "minor"
    severity_factors: dict[str, float] = Field(default_factory=lambda: {
        "trace": 0.5, "tiny": 0.5, "minimal": 0.5, "small": 0.75, "mild": 0.75,
        "moderate": 1.0, "large": 1.25, "severe": 1.25, "massive": 1.5})
    """A missed large effusion matters more than a missed trace one."""
    temporal_factors: dict[str, float] = Field(default_factory=lambda: {
        "new": 1.25, "increased": 1.25, "worsened": 1.25, "unchanged": 0.75,
        "decreased": 0.75, "improved": 0.75})
    """A new or worsening finding is the news a clinician acts on; a stable one is known."""
    vague_credit: float = 0.5
    overinterpretation_factor: float = 0.5
    """Share of a false finding's weight that a candidate pays for a more specific diagnosis
    than the reference makes (pneumonia where the reference saw an opacity)."""
    uncertain_factor: float = 0.5
    """Weight of a hedged finding (reported uncertain) when it is false or missed."""
    smoothing: float = 1.0
    """Added to the credit and to the total, so that a normal report read as normal scores 1
    and more or worse errors always score lower."""
    attribute_errors: AttributeErrorWeights = AttributeErrorWeights()
    labels: dict[str, LabelSignificance] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _grades_known(self) -> SignificanceWeights:
        missing = {"urgent", "actionable", "minor", "benign", "expected"} - set(self.grades)
        if missing:
            raise ValueError(f"grades lacks {sorted(missing)}")
        return self

    def grade(self, label_id: str, context: PatientContext | None = None) -> str:
        entry = self.labels.get(label_id)
        if entry is None:
            return self.default_grade
        if context:
            for rule in entry.context:
                if rule.matches(context):
                    return rule.grade
        return entry.grade

    def weight(self, label_id: str, context: PatientContext | None = None) -> float:
        return self.grades[self.grade(label_id, context)]

    def equivalents(self, label_id: str, context: PatientContext | None) -> tuple[str, ...]:
        entry = self.labels.get(label_id)
        if entry is None:
            return ()
        indication = context.indication if context else ""
        return tuple(rule.label for rule in entry.equivalent
                     if not rule.indication or _mentions(indication, rule.indication))


def _mentions(text: str, phrases: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(re.search(rf"(?<!\w){re.escape(p.lower())}", lowered) for p in phrases)


_CACHE: dict[int, tuple[LabelSet, SignificanceWeights]] = {}


def significance_weights(labelset: LabelSet) -> SignificanceWeights:
    """The labelset's ``significance:`` section, checked (labels it names must exist)."""
    cached = _CACHE.get(id(labelset))
    if cached is not None and cached[0] is labelset:
        return cached[1]
    try:
        weights = SignificanceWeights.model_validate(labelset.significance)
    except ValidationError as exc:
        raise InputError(f"labelset {labelset.name}", f"significance: {exc}") from exc
    known = set(labelset.ids)
    for label_id, entry in weights.labels.items():
        named = {label_id, *entry.vague_labels, *(rule.label for rule in entry.equivalent)}
        unknown = sorted(named - known)
        if unknown:
            raise InputError(f"labelset {labelset.name}",
                             f"significance names unknown label(s) {unknown}; known: "
                             f"{', '.join(labelset.ids)}")
    _CACHE[id(labelset)] = (labelset, weights)
    return weights
