"""A proposal (``proposals/<id>.json``) as a frozen, typed record.

A proposal is a candidate version with its diff against the parent, the revisions and
settings that made it, each change's class (widening, narrowing, setting), the tests it
passed (guard examples, guard gold, the paired bootstrap), dev scores before / after and the
dev reports it fixes and breaks. Proposals of format 1 (no ``format_version``) had no change
classes or guard results; they read with those empty.

Example::

    >>> change = Change.from_json({"class": "widening", "description": "add phrase"})
    >>> change.change_class is ChangeClass.WIDENING, change.to_json()["core_term"]
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from radprompt.runs.records import ScoreSummary

__all__ = ["PROPOSAL_FORMAT", "Change", "ChangeClass", "GuardExamplesResult", "GuardGold",
           "Proposal", "ReportChange", "Significance"]

PROPOSAL_FORMAT = 2
"""Format version of a proposal record: 1 (no key) had no change classes or guard results."""


class ChangeClass(StrEnum):
    """What a change does to a label's meaning (radprompt.optimizers.changes classifies)."""

    WIDENING = "widening"
    NARROWING = "narrowing"
    SETTING = "setting"


@dataclass(frozen=True)
class Change:
    """One classified change of a proposal: its class, what it does, to which label."""

    change_class: ChangeClass
    description: str
    label_id: str | None = None
    core_term: bool = False
    """Removes a word of the label's display name (``opacity`` from Lung Opacity)."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Change:
        return cls(change_class=ChangeClass(data["class"]), description=data["description"],
                   label_id=data.get("label_id"), core_term=bool(data.get("core_term")))

    def to_json(self) -> dict[str, Any]:
        return {"class": self.change_class.value, "description": self.description,
                "label_id": self.label_id, "core_term": self.core_term}


@dataclass(frozen=True)
class GuardExamplesResult:
    """The guard examples run on the proposed version (and how many its parent passed)."""

    total: int
    passed: int
    parent_passed: int
    broken: tuple[Any, ...] = ()
    failures: tuple[Mapping[str, Any], ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GuardExamplesResult:
        return cls(total=data["total"], passed=data["passed"],
                   parent_passed=data["parent_passed"], broken=tuple(data.get("broken", ())),
                   failures=tuple(data.get("failures", ())))

    def to_json(self) -> dict[str, Any]:
        return {"total": self.total, "passed": self.passed, "parent_passed": self.parent_passed,
                "broken": list(self.broken), "failures": [dict(f) for f in self.failures]}


@dataclass(frozen=True)
class GuardGold:
    """Dev macro-F1 on one guard reference, before and after the proposal."""

    before: float
    after: float


@dataclass(frozen=True)
class Significance:
    """The gain on dev and its one-sided paired bootstrap p-value (``how``: the test)."""

    gain: float
    p_value: float
    how: str = ""


@dataclass(frozen=True)
class ReportChange:
    """A dev report whose binary answer for a label the proposal fixes or breaks."""

    report_id: str
    label_id: str
    reference: str
    before: str
    after: str
    sentence: str = ""
    span: tuple[int, int] | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReportChange:
        span = data.get("span")
        return cls(report_id=data["report_id"], label_id=data["label_id"],
                   reference=data["reference"], before=data["before"], after=data["after"],
                   sentence=data.get("sentence", ""),
                   span=(int(span[0]), int(span[1])) if span else None)

    def to_json(self) -> dict[str, Any]:
        return {"report_id": self.report_id, "label_id": self.label_id,
                "reference": self.reference, "before": self.before, "after": self.after,
                "sentence": self.sentence, "span": list(self.span) if self.span else None}


@dataclass(frozen=True)
class Proposal:
    """A candidate version and everything a reviewer (or ``--auto-approve``) decides on."""

    id: str
    round: int
    parent: str
    version: str
    diff: str
    rationale: str
    dev_before: ScoreSummary
    dev_after: ScoreSummary
    program_kind: str = "rules"
    revisions: tuple[Mapping[str, Any], ...] = ()
    """The revisions as ``Revision.to_json()`` (read with ``Revision.from_json``)."""
    revision_keys: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    needs_review: str | None = None
    """Why ``--auto-approve`` leaves the proposal for a reviewer (narrowing changes)."""
    significance: Significance | None = None
    guard_gold: Mapping[str, GuardGold] = field(default_factory=dict)
    guard_examples: GuardExamplesResult | None = None
    fixes: tuple[ReportChange, ...] = ()
    breaks: tuple[ReportChange, ...] = ()
    format_version: int | None = PROPOSAL_FORMAT

    @property
    def narrowed_labels(self) -> set[str]:
        """Labels a narrowing change of this proposal touches."""
        return {c.label_id for c in self.changes
                if c.change_class is ChangeClass.NARROWING and c.label_id}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Proposal:
        significance = data.get("significance")
        examples = data.get("guard_examples")
        return cls(
            id=data["id"], round=data["round"], parent=data["parent"], version=data["version"],
            diff=data["diff"], rationale=data.get("rationale", ""),
            dev_before=ScoreSummary.from_json(data["dev_before"]),
            dev_after=ScoreSummary.from_json(data["dev_after"]),
            program_kind=data.get("program_kind", "rules"),
            revisions=tuple(data.get("revisions", ())),
            revision_keys=tuple(data.get("revision_keys", ())),
            settings=dict(data.get("settings") or {}),
            changes=tuple(Change.from_json(c) for c in data.get("changes", ())),
            needs_review=data.get("needs_review"),
            significance=Significance(**significance) if significance else None,
            guard_gold={name: GuardGold(before=v["before"], after=v["after"])
                        for name, v in (data.get("guard_gold") or {}).items()},
            guard_examples=GuardExamplesResult.from_json(examples) if examples else None,
            fixes=tuple(ReportChange.from_json(e) for e in data.get("fixes", ())),
            breaks=tuple(ReportChange.from_json(e) for e in data.get("breaks", ())),
            format_version=data.get("format_version"))

    def to_json(self) -> dict[str, Any]:
        significance = self.significance
        return {
            "format_version": self.format_version, "id": self.id, "round": self.round,
            "program_kind": self.program_kind, "parent": self.parent, "version": self.version,
            "diff": self.diff, "revisions": [dict(r) for r in self.revisions],
            "revision_keys": list(self.revision_keys), "settings": dict(self.settings),
            "changes": [c.to_json() for c in self.changes], "needs_review": self.needs_review,
            "rationale": self.rationale, "dev_before": self.dev_before.to_json(),
            "dev_after": self.dev_after.to_json(),
            "significance": ({"gain": significance.gain, "p_value": significance.p_value,
                              "how": significance.how} if significance else None),
            "guard_gold": {name: {"before": g.before, "after": g.after}
                           for name, g in self.guard_gold.items()},
            "guard_examples": self.guard_examples.to_json() if self.guard_examples else None,
            "fixes": [e.to_json() for e in self.fixes],
            "breaks": [e.to_json() for e in self.breaks],
        }
