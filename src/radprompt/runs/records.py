"""The records of a run directory as frozen, typed objects.

Each record reads the JSON the run wrote (``from_json``) and writes it back key for key
(``to_json``), so files keep their format and runs written by earlier versions still open:
a key added since is optional when read. Nothing outside ``radprompt.runs`` reads these
files by string keys.

Example::

    >>> decision = Decision.from_json({"proposal_id": "round-01", "decision": "accepted",
    ...                                "reviewer": "Dr. A (synthetic)"})
    >>> decision.approves, decision.to_json()["automatic"]
    (True, False)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["RUN_FORMAT", "Decision", "Edit", "LabelRow", "Manifest", "RoundRecord",
           "ScoreSummary"]

RUN_FORMAT = 2
"""Format version of a run directory (1: no ``format_version`` key, no lock, no change
classes, guard results or transfer report)."""

APPROVING = ("accepted", "edited")
"""Decisions that put a version in."""


@dataclass(frozen=True)
class LabelRow:
    """One label's line of a stored score report."""

    label_id: str
    name: str
    support: int
    threshold: float
    f1: float
    verdict: str


@dataclass(frozen=True)
class ScoreSummary:
    """A ``ScoreReport.to_json()`` as a run stored it; ``data`` is written back unchanged."""

    data: Mapping[str, Any]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ScoreSummary:
        return cls(data=dict(data))

    def to_json(self) -> dict[str, Any]:
        return dict(self.data)

    @property
    def macro_f1(self) -> float:
        return float(self.data["macro_f1"])

    @property
    def micro_f1(self) -> float:
        return float(self.data["micro_f1"])

    @property
    def n_reports(self) -> int:
        return int(self.data["n_reports"])

    @property
    def labels(self) -> tuple[LabelRow, ...]:
        return tuple(LabelRow(label_id=row["label_id"], name=row["name"],
                              support=int(row["support"]), threshold=float(row["threshold"]),
                              f1=float(row["f1"]), verdict=str(row["verdict"]))
                     for row in self.data["labels"])


def _optional_summary(data: Any) -> ScoreSummary | None:
    return ScoreSummary.from_json(data) if data else None


@dataclass(frozen=True)
class Decision:
    """A line of ``audit.jsonl``: a reviewer's (or ``--auto-approve``'s) decision."""

    proposal_id: str
    decision: str  # accepted | rejected | edited
    reviewer: str
    comment: str = ""
    time: str = ""
    automatic: bool = False
    version: str | None = None  # the accepted (or edited) version's hash

    @property
    def approves(self) -> bool:
        return self.decision in APPROVING

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Edit:
    """A line of ``edits.jsonl``: a reviewer's edited version, saved and scored on dev."""

    proposal_id: str
    version: str
    parent: str
    diff: str  # against the proposal's parent
    dev: ScoreSummary
    reviewer: str
    time: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Edit:
        return cls(proposal_id=data["proposal_id"], version=data["version"],
                   parent=data["parent"], diff=data["diff"],
                   dev=ScoreSummary.from_json(data["dev"]), reviewer=data.get("reviewer", ""),
                   time=data.get("time", ""))

    def to_json(self) -> dict[str, Any]:
        return {"proposal_id": self.proposal_id, "version": self.version, "parent": self.parent,
                "diff": self.diff, "dev": self.dev.to_json(), "reviewer": self.reviewer,
                "time": self.time}


@dataclass(frozen=True)
class RoundRecord:
    """A line of ``rounds.jsonl``: dev F1 per label before / after, verdicts, the search."""

    round: int
    proposal: str | None
    train_macro_f1: float
    dev_macro_f1_before: float
    dev_macro_f1: float
    dev_micro_f1: float
    dev_f1_before: Mapping[str, float]
    dev_f1: Mapping[str, float]
    dev_verdict: Mapping[str, str]
    trials: int
    pruned: int
    rejected: int
    chosen: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""
    guard_gold_dev: Mapping[str, float] = field(default_factory=dict)
    targets: tuple[str, ...] = ()
    """The failing labels the round's proposer worked on."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RoundRecord:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["chosen"] = tuple(values.get("chosen", ()))
        values["targets"] = tuple(values.get("targets", ()))
        values.setdefault("rejected", 0)
        values.setdefault("pruned", 0)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["chosen"] = list(self.chosen)
        return data


_MANIFEST_FIELDS = ("format_version", "id", "created", "updated", "status", "reason", "applied",
                    "config", "round", "history", "initial_version", "current_version",
                    "input_problems", "usage", "test_skipped", "test_macro_f1_initial",
                    "test_macro_f1_final", "test_initial", "test_final", "transfer")


@dataclass(frozen=True)
class Manifest:
    """``manifest.json``: configuration, status, versions, budget used, test figures.

    ``format_version`` is None in runs of format 1; ``applied`` is None there too (which
    proposals are in is then worked out from the audit log). Keys this version does not know
    are kept in ``extra`` and written back.
    """

    id: str
    config: Mapping[str, Any]
    format_version: int | None = None
    created: str = ""
    updated: str | None = None
    status: str = "unknown"
    reason: str | None = None
    applied: tuple[str, ...] | None = None
    round: int = 0
    history: tuple[Any, ...] = ()
    initial_version: str | None = None
    current_version: str | None = None
    input_problems: int | None = None
    usage: Mapping[str, int] = field(default_factory=dict)
    test_skipped: str | None = None
    test_macro_f1_initial: float | None = None
    test_macro_f1_final: float | None = None
    test_initial: ScoreSummary | None = None
    test_final: ScoreSummary | None = None
    transfer: Mapping[str, Any] | None = None
    """The transfer report (``radprompt.optimizers.report``): initial vs final macro-F1."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    present: frozenset[str] = field(default_factory=frozenset, compare=False, repr=False)
    """The keys the file has (an absent key is not written back as null)."""

    @classmethod
    def new(cls, *, id: str, created: str, config: Mapping[str, Any]) -> Manifest:
        return cls.from_json({"format_version": RUN_FORMAT, "id": id, "created": created,
                              "status": "starting", "applied": [], "config": dict(config),
                              "round": 0, "history": []})

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Manifest:
        values: dict[str, Any] = {k: data[k] for k in _MANIFEST_FIELDS if k in data}
        if values.get("applied") is not None:
            values["applied"] = tuple(values["applied"])
        values["history"] = tuple(values.get("history", ()))
        values["usage"] = dict(values.get("usage") or {})
        for name in ("test_initial", "test_final"):
            values[name] = _optional_summary(values.get(name))
        return cls(**values, extra={k: v for k, v in data.items() if k not in _MANIFEST_FIELDS},
                   present=frozenset(data))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for name in _MANIFEST_FIELDS:
            if name not in self.present:
                continue
            value = getattr(self, name)
            if isinstance(value, ScoreSummary):
                value = value.to_json()
            elif isinstance(value, tuple):
                value = list(value)
            elif isinstance(value, Mapping):
                value = dict(value)
            data[name] = value
        return {**data, **self.extra}

    def with_changes(self, **changes: Any) -> Manifest:
        """A copy with ``changes`` (field names; records given as JSON are read)."""
        unknown = sorted(set(changes) - set(_MANIFEST_FIELDS))
        if unknown:
            raise TypeError(f"unknown manifest field(s) {unknown}; known: "
                            f"{', '.join(_MANIFEST_FIELDS)}")
        for name in ("test_initial", "test_final"):
            if isinstance(changes.get(name), Mapping):
                changes[name] = ScoreSummary.from_json(changes[name])
        if changes.get("applied") is not None:
            changes["applied"] = tuple(changes["applied"])
        return replace(self, **changes, present=self.present | set(changes))
