"""The Proposer plug-in kind: turn a label's errors into candidate revisions."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from radprompt.labelset import LabelSet
from radprompt.optimizers.analysis import LabelErrors
from radprompt.optimizers.program import Program, Revision
from radprompt.reports import Dataset

if TYPE_CHECKING:
    from radprompt.llm import Usage
from radprompt.runs.scoring import ExtractionScore

__all__ = ["ProposalContext", "Proposer"]


@dataclass
class ProposalContext:
    """What a proposer may look at: the current program, its training errors, and what
    reviewers already rejected (never proposed again)."""

    program: Program
    labelset: LabelSet
    train: Dataset
    train_evaluation: ExtractionScore
    errors: dict[str, LabelErrors]
    rejected: set[str] = field(default_factory=set)


class Proposer(ABC):
    """Base class of every proposer. One abstract method: ``propose``."""

    name: ClassVar[str]
    program_kinds: ClassVar[tuple[str, ...]]
    """Which program kinds (``rules``, ``prompt``) this proposer can revise."""
    usage_: Usage | None = None
    """Requests, tokens and cost of its model calls so far (``None``: it calls no model)."""

    @abstractmethod
    def propose(self, context: ProposalContext) -> list[Revision]:
        """Candidate revisions for the labels in ``context.errors``, best first."""
