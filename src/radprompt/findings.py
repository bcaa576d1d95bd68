"""Findings: one of four states per label, with the evidence that supports it.

Example::

    >>> from radprompt.findings import Finding, Findings, State
    >>> f = Findings(report_id="r1", states={"pneumonia": Finding(State.UNCERTAIN)})
    >>> f.state("pneumonia"), f.state("edema")
    (<State.UNCERTAIN: 'uncertain'>, <State.NOT_MENTIONED: 'not_mentioned'>)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter
from typing import Any

from radprompt.labelset import LabelSet, UncertaintyPolicy

__all__ = [
    "ATTRIBUTE_NAMES",
    "Attributes",
    "Evidence",
    "Finding",
    "Findings",
    "State",
    "derive_labels",
    "parse_state",
]


class State(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNCERTAIN = "uncertain"
    NOT_MENTIONED = "not_mentioned"

    @property
    def chexpert_value(self) -> str:
        """CheXpert's encoding: 1 present, 0 absent, -1 uncertain, blank not mentioned."""
        return _CHEXPERT_VALUES[self]


_CHEXPERT_VALUES = {
    State.PRESENT: "1",
    State.ABSENT: "0",
    State.UNCERTAIN: "-1",
    State.NOT_MENTIONED: "",
}

# Precedence when a report mentions a label more than once (CheXpert labeler's aggregation).
PRECEDENCE = (State.PRESENT, State.UNCERTAIN, State.ABSENT, State.NOT_MENTIONED)

_STATE_ALIASES: dict[str, State] = {
    "1": State.PRESENT,
    "1.0": State.PRESENT,
    "0": State.ABSENT,
    "0.0": State.ABSENT,
    "-1": State.UNCERTAIN,
    "-1.0": State.UNCERTAIN,
    "": State.NOT_MENTIONED,
    "nan": State.NOT_MENTIONED,
    "none": State.NOT_MENTIONED,
    "null": State.NOT_MENTIONED,
    "positive": State.PRESENT,
    "negative": State.ABSENT,
    "not mentioned": State.NOT_MENTIONED,
    **{state.value: state for state in State},
}


def parse_state(value: Any) -> State:
    """Read a label value: 1 / 0 / -1 / blank (CheXpert), a state name, or ``None``.

    Raises ``ValueError`` naming the accepted values for anything else.
    """
    if value is None:
        return State.NOT_MENTIONED
    if isinstance(value, bool):
        return State.PRESENT if value else State.ABSENT
    key = str(value).strip().lower()
    try:
        return _STATE_ALIASES[key]
    except KeyError:
        raise ValueError(
            f"label value {value!r} is not one of 1, 0, -1, blank "
            f"or {', '.join(s.value for s in State)}"
        ) from None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A span of the report text: ``text == report.text[start:end]``."""

    start: int
    end: int
    text: str


ATTRIBUTE_NAMES = (
    "laterality", "severity", "size", "location", "temporal", "device_type", "tip_position",
)
"""The structured fields a present or uncertain finding may carry, in output order."""


@dataclass(frozen=True, slots=True)
class Attributes:
    """What a radiologist says about a finding besides its presence, as normalised words.

    ``laterality``: left / right / bilateral; ``severity``: trace, small, mild, moderate, large,
    severe (the report's own grading word); ``size``: a measurement as written ("2.3 cm");
    ``location``: lobe, zone or region ("right lower lobe", "apical", "retrocardiac");
    ``temporal``: new / increased / decreased / unchanged / resolved; ``device_type`` and
    ``tip_position`` for support devices ("endotracheal tube", "4 cm above the carina").
    ``None`` means the report does not say.

    >>> Attributes(laterality="left", severity="small").to_json()
    {'laterality': 'left', 'severity': 'small'}
    >>> Attributes.from_json({"laterality": "right", "colour": "red"})
    Attributes(laterality='right', severity=None, size=None, location=None, temporal=None, \
device_type=None, tip_position=None)
    """

    laterality: str | None = None
    severity: str | None = None
    size: str | None = None
    location: str | None = None
    temporal: str | None = None
    device_type: str | None = None
    tip_position: str | None = None

    def __bool__(self) -> bool:
        return _values(self) != _NONE  # a finding's attributes are tested once per output line

    def to_json(self) -> dict[str, str]:
        return {name: value for name in ATTRIBUTE_NAMES
                if (value := getattr(self, name)) is not None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Attributes:
        """Read the ``attributes`` object of a finding; unknown keys and empty values are
        ignored (they come from other tools and from LLM answers)."""
        if not data:
            return _NO_ATTRIBUTES
        values = {name: str(data[name]).strip() for name in ATTRIBUTE_NAMES
                  if data.get(name) not in (None, "")}
        return cls(**values) if values else _NO_ATTRIBUTES


_NO_ATTRIBUTES = Attributes()
_values = attrgetter(*ATTRIBUTE_NAMES)
_NONE = (None,) * len(ATTRIBUTE_NAMES)


@dataclass(frozen=True, slots=True)
class Finding:
    state: State
    evidence: Evidence | None = None
    attributes: Attributes = _NO_ATTRIBUTES


_NOT_MENTIONED = Finding(State.NOT_MENTIONED)
_STATE_VALUES = {state: state.value for state in State}


@dataclass(frozen=True)
class Findings:
    """Per-label findings for one report. Labels that are absent from ``states`` are not mentioned.

    ``binary_only`` marks reference labels that only say positive / negative (like the NegBio
    gold), where "negative" cannot tell an explicit negation from silence.
    """

    report_id: str
    states: Mapping[str, Finding] = field(default_factory=dict)
    binary_only: bool = False

    def state(self, label_id: str) -> State:
        return self.states.get(label_id, _NOT_MENTIONED).state

    def finding(self, label_id: str) -> Finding:
        return self.states.get(label_id, _NOT_MENTIONED)

    def is_positive(self, label_id: str, policy: UncertaintyPolicy) -> bool:
        state = self.state(label_id)
        if state is State.PRESENT:
            return True
        return state is State.UNCERTAIN and policy is UncertaintyPolicy.POSITIVE

    def binary(self, labelset: LabelSet) -> dict[str, int]:
        """1 / 0 per label, with "uncertain" resolved by each label's uncertainty policy."""
        return {
            label.id: int(self.is_positive(label.id, label.uncertainty_policy))
            for label in labelset.labels
        }

    def to_json(self) -> dict[str, Any]:
        findings: dict[str, Any] = {}
        for label_id, finding in self.states.items():  # once per output line: kept lean
            evidence = finding.evidence
            entry: dict[str, Any] = {"state": _STATE_VALUES[finding.state]}
            if evidence is not None:
                entry["evidence"] = evidence.text
                entry["start"] = evidence.start
                entry["end"] = evidence.end
            if finding.attributes is not _NO_ATTRIBUTES and finding.attributes:
                entry["attributes"] = finding.attributes.to_json()
            findings[label_id] = entry
        return {"id": self.report_id, "findings": findings}


def derive_labels(findings: Findings, labelset: LabelSet) -> Findings:
    """Fill in derived labels (``no_other_positive``: present only when no other label is,
    leaving out the label's ``derived_ignores``)."""
    derived = [label for label in labelset.labels if label.derived == "no_other_positive"]
    if not derived:
        return findings
    derived_ids = {label.id for label in derived}
    states = dict(findings.states)
    for label in derived:
        any_positive = any(
            findings.is_positive(other.id, other.uncertainty_policy)
            for other in labelset.labels
            if other.id not in derived_ids and other.id not in label.derived_ignores
        )
        states[label.id] = Finding(State.ABSENT if any_positive else State.PRESENT)
    return Findings(report_id=findings.report_id, states=states, binary_only=findings.binary_only)
