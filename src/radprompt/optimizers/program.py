"""What the optimizer changes: a ``Program`` (rules from a labelset, or a prompt version).

A program is immutable and content-hashed; ``apply`` returns a new program with some
``Revision``s applied. ``review_text`` is what a clinician reads, and what proposal diffs compare.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> program = RulesProgram(labelset=load_labelset("chestxray21"))
    >>> child = program.apply([Revision(kind="add_phrase", label_id="edema", value="fluid lung")])
    >>> "fluid lung" in child.labelset.get("edema").phrases, child.hash != program.hash
    (True, True)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml

from radprompt.extractors.base import Extractor
from radprompt.labelset import Cues, Label, LabelSet, parse_labelset
from radprompt.runs.versions import labelset_yaml, rules_extractor, version_hash

__all__ = ["CUE_KINDS", "Program", "Revision", "RevisionKind", "RulesProgram", "labelset_yaml"]

RevisionKind = Literal[
    "add_phrase", "remove_phrase", "add_exclusion", "add_cue", "set_scope", "set_guidance",
    "set_demos",
]
SCOPE_TOKENS = (4, 6, 8, 10, 12, 14, 16, 20)
"""Cue scopes (in words) the search tries for the rule engine."""
CUE_KINDS = ("negation_pre", "negation_post", "uncertainty_pre", "uncertainty_post", "pseudo",
             "termination")


@dataclass(frozen=True)
class Revision:
    """One reviewable change: what, to which label, and why.

    ``cue`` names the cue list for ``add_cue``; ``evidence`` lists the training reports whose
    errors suggested the change; ``gain`` is its F1 gain on train when applied alone.
    """

    kind: RevisionKind
    label_id: str | None
    value: Any
    cue: str | None = None
    rationale: str = ""
    cause: str = ""
    evidence: tuple[str, ...] = ()
    gain: float = 0.0
    proposer: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.label_id}:{self.cue or ''}:{self.value}"

    def describe(self) -> str:
        target = f"{self.label_id}" if self.label_id else "all labels"
        if self.kind == "add_cue":
            return f"{target}: add {self.cue} cue {self.value!r}"
        if self.kind in ("set_guidance", "set_demos"):
            return f"{target}: {self.kind.replace('_', ' ')}"
        return f"{target}: {self.kind.replace('_', ' ')} {self.value!r}"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["evidence"] = list(self.evidence)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Revision:
        return cls(**{**data, "evidence": tuple(data.get("evidence", ()))})


class Program(ABC):
    """Base class of everything the optimizer can improve.

    Besides its text and revisions, a program states what the search may vary
    (``settings_space``) and the labelset its findings answer for (``labelset``), so callers
    never ask which kind of program they hold.
    """

    kind: ClassVar[str]
    suffix: ClassVar[str]
    labelset: LabelSet
    """The labelset this program's findings answer for and are scored with."""

    @property
    def hash(self) -> str:
        return version_hash(self.review_text())

    @abstractmethod
    def review_text(self) -> str:
        """The full, human-readable text of this program (diffs compare it)."""

    @abstractmethod
    def build_extractor(self) -> Extractor: ...

    @abstractmethod
    def apply(self, revisions: Sequence[Revision]) -> Program: ...

    @abstractmethod
    def with_settings(self, settings: dict[str, Any]) -> Program:
        """Apply searched settings (scope, decoding, ...) that are not revisions."""

    def settings_space(self) -> dict[str, tuple[Any, ...]]:
        """The settings the search may try, each with its current value first (none here)."""
        return {}

    def save(self, directory: Path) -> Path:
        path = directory / f"{self.hash}{self.suffix}"
        if not path.exists():
            directory.mkdir(parents=True, exist_ok=True)
            path.write_text(self.review_text(), encoding="utf-8")
        return path


@dataclass(frozen=True)
class RulesProgram(Program):
    """The rule engine; its text is the labelset YAML."""

    kind: ClassVar[str] = "rules"
    suffix: ClassVar[str] = ".yaml"
    labelset: LabelSet
    _text: list[str] = field(default_factory=list, compare=False, repr=False)

    def review_text(self) -> str:
        if not self._text:
            self._text.append(labelset_yaml(self.labelset))
        return self._text[0]

    def build_extractor(self) -> Extractor:
        return rules_extractor(self.labelset)

    def apply(self, revisions: Sequence[Revision]) -> RulesProgram:
        labelset = self.labelset
        for revision in revisions:
            if revision.kind == "set_scope":
                labelset = _with_scope(labelset, int(revision.value))
                continue
            if revision.label_id is None:
                raise ValueError(f"{revision.kind} needs a label")
            label = labelset.get(revision.label_id)
            labelset = labelset.with_label(_revise_label(label, revision))
        return RulesProgram(labelset=labelset)

    def settings_space(self) -> dict[str, tuple[Any, ...]]:
        """The cue scope in words."""
        current = self.labelset.cues.scope_tokens
        return {"scope_tokens": (current, *(v for v in SCOPE_TOKENS if v != current))}

    def with_settings(self, settings: dict[str, Any]) -> RulesProgram:
        if "scope_tokens" in settings:
            return RulesProgram(labelset=_with_scope(self.labelset, int(settings["scope_tokens"])))
        return self

    @classmethod
    def load(cls, path: Path) -> RulesProgram:
        return cls(labelset=parse_labelset(yaml.safe_load(path.read_text("utf-8")), path=path))


def _with_scope(labelset: LabelSet, scope_tokens: int) -> LabelSet:
    cues = labelset.cues.model_copy(update={"scope_tokens": scope_tokens})
    return labelset.model_copy(update={"cues": cues})


def _append(values: tuple[str, ...], value: str) -> tuple[str, ...]:
    return values if value in values else (*values, value)


def _revise_label(label: Label, revision: Revision) -> Label:
    value = str(revision.value)
    if revision.kind == "add_phrase":
        return label.model_copy(update={"phrases": _append(label.phrases, value)})
    if revision.kind == "remove_phrase":
        return label.model_copy(update={
            "phrases": tuple(p for p in label.phrases if p != value),
            "synonyms": tuple(s for s in label.synonyms if s != value),
        })
    if revision.kind == "add_exclusion":
        return label.model_copy(update={"exclusions": _append(label.exclusions, value)})
    if revision.kind == "add_cue":
        if revision.cue not in CUE_KINDS:
            raise ValueError(f"unknown cue kind {revision.cue!r}")
        cues: Cues = label.cues
        updated = cues.model_copy(update={revision.cue: _append(getattr(cues, revision.cue),
                                                                value)})
        return label.model_copy(update={"cues": updated})
    raise ValueError(f"the rule engine cannot apply a {revision.kind!r} revision")
