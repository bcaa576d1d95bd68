"""A reviewer's decisions on proposals: accept, reject, or edit (re-scored before accepting).

Every decision is appended to the run's ``audit.jsonl`` (``Run.record_decision``); nothing is
changed in place. An edit is a new program version: the edited text is validated, saved under
``versions/``, scored on dev (``Run.score``), and recorded as an ``Edit`` (``Run.record_edit``,
the append-only ``edits.jsonl``); only a version found there can be accepted as the edit of a
proposal. ``radprompt optimize --resume RUN``
then continues from the newest accepted (or edited) version.

Example::

    >>> from radprompt.runs import Run
    >>> run = Run.open("runs/20260101-chestxray21-rules")  # doctest: +SKIP
    >>> accept(run, "round-01", reviewer="Dr. Ada Lovelace", comment="ok")  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import json
import logging
from datetime import UTC, datetime
from typing import Any

import yaml

from radprompt.errors import RadpromptError
from radprompt.labelset import LabelSet, parse_labelset
from radprompt.llm import check_destination
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.runs import Decision, Edit, Proposal, Run, ScoreSummary

__all__ = [
    "ReviewError",
    "accept",
    "accept_edit",
    "editable_text",
    "reject",
    "review_text",
    "score_edit",
    "version_text",
]

logger = logging.getLogger(__name__)


class ReviewError(RadpromptError):
    """A decision that cannot be recorded (decided already, no reviewer, invalid edit)."""


def _require_pending(run: Run, proposal_id: str) -> Proposal:
    proposal = run.proposal(proposal_id)
    status = run.status_of(proposal_id)
    if status != "pending":
        raise ReviewError(f"proposal {proposal_id} was {status} already; decisions are final "
                          "(the audit log is append-only)")
    return proposal


def _require_reviewer(reviewer: str) -> str:
    name = reviewer.strip()
    if not name:
        raise ReviewError("a decision needs the reviewer's name")
    return name


def accept(run: Run, proposal_id: str, *, reviewer: str, comment: str = "") -> Decision:
    """Accept a pending proposal as it is."""
    proposal = _require_pending(run, proposal_id)
    decision = Decision(proposal_id, "accepted", reviewer=_require_reviewer(reviewer),
                        comment=comment, version=proposal.version)
    run.record_decision(decision)
    logger.info("proposal %s accepted by %s", proposal_id, decision.reviewer)
    return decision


def reject(run: Run, proposal_id: str, *, reviewer: str, comment: str = "") -> Decision:
    """Reject a pending proposal; the optimizer will not propose its changes again."""
    proposal = _require_pending(run, proposal_id)
    decision = Decision(proposal_id, "rejected", reviewer=_require_reviewer(reviewer),
                        comment=comment, version=proposal.version)
    run.record_decision(decision)
    logger.info("proposal %s rejected by %s", proposal_id, decision.reviewer)
    return decision


def version_text(run: Run, version: str) -> str:
    """The full text of a stored version (what a reviewer edits)."""
    return run.version_path(version).read_text("utf-8")


def review_text(run: Run, version: str) -> str:
    """What a reviewer reads of a version (a labelset YAML, or a prompt program's listing)."""
    text = version_text(run, version)
    if run.version_path(version).suffix == ".json":
        return str(json.loads(text)["review_text"])
    return text


class _LiteralDumper(yaml.SafeDumper):
    """YAML with multi-line strings as ``|`` blocks, the way a person writes them."""


_LiteralDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="|" if "\n" in value else None))


def editable_text(run: Run, proposal_id: str) -> str:
    """The text a reviewer edits: the labelset YAML (rules) or the per-label guidance (prompt)."""
    proposal = run.proposal(proposal_id)
    if proposal.program_kind == "rules":
        return version_text(run, proposal.version)
    saved = json.loads(version_text(run, proposal.version))
    return ("# The guidance the model reads for each label. Edit the text under any label;\n"
            "# the model, its decoding, the template and the demos stay as proposed.\n"
            + yaml.dump({"guidance": saved["prompt"]["guidance"]}, Dumper=_LiteralDumper,
                        sort_keys=False, allow_unicode=True, width=100))


def score_edit(run: Run, proposal_id: str, text: str, *, reviewer: str = "") -> Edit:
    """Validate an edited version of a proposal, save it, score it on dev, log it.

    For the rule engine ``text`` is a labelset YAML; for a prompt it is the guidance listing
    of ``editable_text`` (scoring sends the dev reports to the run's model, through its cache).
    """
    proposal = _require_pending(run, proposal_id)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ReviewError(f"the edited text is not valid YAML: {exc}") from exc
    program: Program
    if proposal.program_kind == "rules":
        program = _edited_rules(run, data)
        scoring_labelset = program.labelset
    else:
        program = _edited_prompt(run, proposal, data, labelset=run.labelset())
        scoring_labelset = run.labelset()
    program.save(run.path / "versions")
    dev = run.score(program.hash, "dev", extractor=program.build_extractor(),
                    labelset=scoring_labelset)
    diff = "".join(difflib.unified_diff(
        review_text(run, proposal.parent).splitlines(keepends=True),
        program.review_text().splitlines(keepends=True),
        fromfile=f"version {proposal.parent}", tofile=f"version {program.hash} (edited)"))
    edited = Edit(proposal_id=proposal_id, version=program.hash, parent=proposal.parent,
                  diff=diff, dev=ScoreSummary.from_json(dev.report.to_json()),
                  reviewer=reviewer.strip(),
                  time=datetime.now(UTC).isoformat(timespec="seconds"))
    run.record_edit(edited)
    return edited


def _edited_rules(run: Run, data: Any) -> RulesProgram:
    if not isinstance(data, dict):
        raise ReviewError("the edited text must be a labelset (a YAML mapping)")
    try:
        labelset = parse_labelset(data, path=run.path / "versions" / "edited.yaml")
    except (RadpromptError, ValueError) as exc:
        raise ReviewError(f"the edited labelset is not valid: {exc}") from exc
    return RulesProgram(labelset=labelset)


def _edited_prompt(run: Run, proposal: Proposal, data: Any, *,
                   labelset: LabelSet) -> PromptProgram:
    guidance = data.get("guidance") if isinstance(data, dict) else None
    if not isinstance(guidance, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in guidance.items()):
        raise ReviewError("the edited text must have 'guidance:' with a text for each label")
    # load() keeps what the model sees and takes only where requests go from the run's config
    program = PromptProgram.load(run.version_path(proposal.version), labelset=labelset,
                                 cache_path=run.path / "cache.sqlite",
                                 overrides=run.manifest.config.get("llm", {}))
    recipe = program.recipe
    check_destination(model=recipe.model, api_base=recipe.api_base,
                      backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)
    unknown = sorted(set(guidance) - set(program.version.label_ids))
    if unknown:
        raise ReviewError(f"no such label(s) in this prompt: {unknown}")
    changed = [Revision(kind="set_guidance", label_id=label_id, value=value.strip())
               for label_id, value in guidance.items()
               if value.strip() != program.version.guidance[label_id]]
    return program.apply(changed) if changed else program


def accept_edit(run: Run, proposal_id: str, *, version: str, reviewer: str,
                comment: str = "") -> Decision:
    """Accept an edited version of a proposal; it must have been scored by ``score_edit``."""
    _require_pending(run, proposal_id)
    if not any(e.version == version for e in run.edits(proposal_id)):
        raise ReviewError(f"version {version} is not a re-scored edit of {proposal_id}; "
                          "score the edited text first")
    decision = Decision(proposal_id, "edited", reviewer=_require_reviewer(reviewer),
                        comment=comment, version=version)
    run.record_decision(decision)
    logger.info("proposal %s accepted with edits by %s", proposal_id, decision.reviewer)
    return decision
