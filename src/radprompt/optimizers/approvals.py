"""Approvals: which proposals are in the current version, which wait, and automatic decisions.

Under ``--auto-approve`` (mode "safe") a proposal with a narrowing change waits for a reviewer
while the run goes on with other labels ("parked"); once accepted it is rebased onto the
version the run has reached. ``--auto-approve all`` accepts everything and says so in the
audit log.
"""

from __future__ import annotations

import logging
from typing import Any

from radprompt.labelset import LabelSet
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.runs import Decision, Run

__all__ = ["apply_accepted", "auto_decision", "load_program", "parked", "waits"]

logger = logging.getLogger(__name__)


def load_program(run: Run, version: str, *, llm: dict[str, Any],
                 labelset: LabelSet) -> Program:
    """A saved version of the run (a prompt gets the run's cache and placement ``llm``)."""
    path = run.version_path(version)
    if path.suffix == PromptProgram.suffix:
        # Where requests go is the run's configuration; what the model sees is the version's.
        return PromptProgram.load(path, labelset=labelset, cache_path=run.path / "cache.sqlite",
                                  overrides=llm)
    return RulesProgram.load(path)


def auto_decision(proposal_id: str, version: str, mode: str) -> Decision:
    if mode == "all":
        return Decision(proposal_id, "accepted", reviewer="auto-approve all", automatic=True,
                        version=version,
                        comment="--auto-approve all: accepted without review, narrowing "
                                "changes included")
    return Decision(proposal_id, "accepted", reviewer="auto-approve", automatic=True,
                    version=version, comment="widening and setting changes only")


def apply_accepted(run: Run, *, llm: dict[str, Any], labelset: LabelSet) -> Program:
    """The current version with every accepted (or edited) proposal applied, in the order of
    the decisions. A proposal decided after the run moved on (a narrowing one parked for
    review while widening ones were accepted) is rebased: its revisions and settings are
    applied to the current version. Which proposals are in is kept in the manifest."""
    manifest = run.manifest
    if manifest.applied is None:  # runs of format 1: the newest accepted version
        version = run.accepted_version()
        applied = [d.proposal_id for d in run.decisions() if d.approves]
        run.update_manifest(current_version=version, applied=applied)
        return load_program(run, version, llm=llm, labelset=labelset)
    applied = list(manifest.applied)
    current = load_program(run, str(manifest.current_version), llm=llm, labelset=labelset)
    for decision in run.decisions():
        if not decision.approves or decision.proposal_id in applied:
            continue
        proposal = run.proposal(decision.proposal_id)
        version = decision.version or proposal.version
        if proposal.parent == current.hash or decision.decision == "edited":
            if proposal.parent != current.hash:
                logger.warning("edited %s replaces the current version", proposal.id)
            current = load_program(run, version, llm=llm, labelset=labelset)
        else:
            current = current.apply([Revision.from_json(dict(r)) for r in proposal.revisions]
                                    ).with_settings(dict(proposal.settings))
            current.save(run.path / "versions")
        applied.append(decision.proposal_id)
    run.update_manifest(current_version=current.hash, applied=applied)
    return current


def parked(run: Run) -> tuple[set[str], set[str]]:
    """Labels and revision keys of proposals that wait for a reviewer."""
    labels: set[str] = set()
    keys: set[str] = set()
    for proposal in run.pending():
        keys.update(proposal.revision_keys)
        labels.update(proposal.narrowed_labels)
    return labels, keys


def waits(run: Run, proposal_id: str, why: str | None) -> str:
    because = f" ({why}; --auto-approve accepts widening and setting changes only)" if why \
        else ""
    return f"proposal {proposal_id} waits for review{because}: radprompt review {run.path}"
