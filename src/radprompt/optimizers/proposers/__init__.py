"""Proposers, chosen by the ``proposer`` key of an optimizer recipe in ``optimizers/*.yaml``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from radprompt.optimizers.program import Program
from radprompt.optimizers.proposers.base import ProposalContext, Proposer
from radprompt.optimizers.proposers.dspy import GEPAProposer, MIPROProposer
from radprompt.optimizers.proposers.lexical import LexicalMiner
from radprompt.optimizers.proposers.reflective import ReflectiveProposer

__all__ = ["PROPOSERS", "ProposalContext", "Proposer", "build_proposer"]

PROPOSERS: dict[str, Callable[..., Proposer]] = {
    "lexical": LexicalMiner,
    "reflective": ReflectiveProposer,
    "gepa": GEPAProposer,
    "mipro": MIPROProposer,
}
"""Proposer constructors by recipe name; each takes the recipe's ``options`` as keywords."""


def build_proposer(recipe: dict[str, Any], *, program: Program) -> Proposer:
    """The proposer a recipe names, for this kind of program (``proposer: {rules: ..., ...}``)."""
    choice = recipe["proposer"]
    name = choice.get(program.kind) if isinstance(choice, dict) else choice
    if name is None:
        raise ValueError(f"the recipe names no proposer for {program.kind!r} programs")
    factory = PROPOSERS.get(name)
    if factory is None:
        raise ValueError(f"unknown proposer {name!r}; known: {', '.join(PROPOSERS)}")
    options = recipe.get("options", {}).get(name, {})
    proposer = factory(**options)
    if program.kind not in proposer.program_kinds:
        raise ValueError(f"proposer {name!r} cannot revise {program.kind!r} programs")
    return proposer
