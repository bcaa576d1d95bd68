"""What a reviewer sees of a proposal: diff, per-label deltas on dev, fixed and broken reports.

``proposal_view`` gathers it from the run directory (and the dev reports of the run's
experiment, for the example texts); the terminal and the web page render the same view.

Example::

    >>> from radprompt.runs import Run
    >>> run = Run.open("runs/20260101-chestxray21-rules")  # doctest: +SKIP
    >>> view = proposal_view(run, "round-01")  # doctest: +SKIP
    >>> [row.label_id for row in view.labels if row.changed]  # doctest: +SKIP
    ['lung_opacity', 'pneumothorax']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from radprompt.optimizers.program import Revision
from radprompt.runs import Decision, Proposal, ReportChange, Run, ScoreSummary

__all__ = [
    "DiffRow",
    "ExampleChange",
    "LabelDelta",
    "ProposalSummary",
    "ProposalView",
    "dev_report_texts",
    "list_proposals",
    "proposal_view",
    "side_by_side",
]


@dataclass(frozen=True)
class LabelDelta:
    label_id: str
    name: str
    support: int
    threshold: float
    f1_before: float
    f1_after: float
    verdict_before: str
    verdict_after: str

    @property
    def delta(self) -> float:
        return self.f1_after - self.f1_before

    @property
    def changed(self) -> bool:
        return abs(self.delta) > 5e-4 or self.verdict_before != self.verdict_after


@dataclass(frozen=True)
class ExampleChange:
    """A dev report whose label this proposal fixes or breaks, the evidence highlighted."""

    report_id: str
    label_id: str
    label_name: str
    reference: str
    before: str
    after: str
    text_before: str  # report text before the highlighted span
    highlight: str
    text_after: str


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; ``kind`` is context, change, delete, insert or hunk."""

    kind: str
    left_number: int | None
    left: str
    right_number: int | None
    right: str


@dataclass(frozen=True)
class ProposalSummary:
    id: str
    round: int
    status: str
    macro_before: float
    macro_after: float
    fixes: int
    breaks: int
    changes: int


@dataclass(frozen=True)
class ProposalView:
    run_id: str
    id: str
    round: int
    kind: str
    status: str
    parent: str
    version: str
    diff: str
    rationale: str
    changes: list[str]
    settings: dict[str, Any]
    macro_before: float
    macro_after: float
    micro_before: float
    micro_after: float
    labels: list[LabelDelta]
    fixes: list[ExampleChange]
    breaks: list[ExampleChange]
    decisions: list[Decision] = field(default_factory=list)
    classified: list[tuple[str, str]] = field(default_factory=list)
    """(class, description) of each change: widening, narrowing or setting."""
    needs_review: str | None = None
    """Why ``--auto-approve`` left this proposal for a reviewer (narrowing changes)."""
    checks: list[str] = field(default_factory=list)
    """What the proposal passed: guard examples, guard gold, the paired bootstrap."""

    @property
    def pending(self) -> bool:
        return self.status == "pending"


def list_proposals(run: Run, *, pending_only: bool = False) -> list[ProposalSummary]:
    summaries = []
    statuses = run.statuses()
    for proposal in run.proposals():
        status = statuses.get(proposal.id, "pending")
        if pending_only and status != "pending":
            continue
        summaries.append(ProposalSummary(
            id=proposal.id, round=proposal.round, status=status,
            macro_before=proposal.dev_before.macro_f1,
            macro_after=proposal.dev_after.macro_f1,
            fixes=len(proposal.fixes), breaks=len(proposal.breaks),
            changes=len(proposal.revisions)))
    return summaries


def _label_rows(before: ScoreSummary, after: ScoreSummary) -> list[LabelDelta]:
    old = {row.label_id: row for row in before.labels}
    rows = []
    for row in after.labels:
        prior = old.get(row.label_id, row)
        rows.append(LabelDelta(
            label_id=row.label_id, name=row.name, support=row.support,
            threshold=row.threshold, f1_before=prior.f1, f1_after=row.f1,
            verdict_before=prior.verdict, verdict_after=row.verdict))
    return rows


def dev_report_texts(run: Run) -> dict[str, str]:
    """The texts of the dev reports of the run's experiment, by report id."""
    return {report.id: report.text for report in run.experiment().split("dev").reports}


def _example(entry: ReportChange, texts: dict[str, str], names: dict[str, str]) -> ExampleChange:
    text = texts.get(entry.report_id, entry.sentence)
    span = entry.span
    start, end = (span if span and 0 <= span[0] <= span[1] <= len(text) else (0, 0))
    if not span and entry.sentence and entry.sentence in text:
        start = text.index(entry.sentence)
        end = start + len(entry.sentence)
    return ExampleChange(
        report_id=entry.report_id, label_id=entry.label_id,
        label_name=names.get(entry.label_id, entry.label_id),
        reference=entry.reference, before=entry.before, after=entry.after,
        text_before=text[:start], highlight=text[start:end], text_after=text[end:])


def proposal_view(run: Run, proposal_id: str, *,
                  texts: dict[str, str] | None = None) -> ProposalView:
    """Everything a reviewer needs about one proposal (``texts``: dev report texts by id)."""
    proposal = run.proposal(proposal_id)
    texts = dev_report_texts(run) if texts is None else texts
    labels = _label_rows(proposal.dev_before, proposal.dev_after)
    names = {row.label_id: row.name for row in labels}
    changes = [Revision.from_json(dict(r)).describe() for r in proposal.revisions]
    changes += [f"setting {k} = {v}" for k, v in proposal.settings.items()]
    decisions = [d for d in run.decisions() if d.proposal_id == proposal_id]
    return ProposalView(
        run_id=run.path.name, id=proposal.id, round=proposal.round,
        kind=proposal.program_kind,
        status=decisions[-1].decision if decisions else "pending",
        parent=proposal.parent, version=proposal.version, diff=proposal.diff,
        rationale=proposal.rationale, changes=changes, settings=dict(proposal.settings),
        macro_before=proposal.dev_before.macro_f1, macro_after=proposal.dev_after.macro_f1,
        micro_before=proposal.dev_before.micro_f1, micro_after=proposal.dev_after.micro_f1,
        labels=labels,
        fixes=[_example(e, texts, names) for e in proposal.fixes],
        breaks=[_example(e, texts, names) for e in proposal.breaks],
        decisions=decisions,
        classified=[(c.change_class, c.description) for c in proposal.changes],
        needs_review=proposal.needs_review,
        checks=_checks(proposal),
    )


def _checks(proposal: Proposal) -> list[str]:
    """One line per test the proposal passed (absent in proposals of format 1)."""
    lines = []
    examples = proposal.guard_examples
    if examples:
        lines.append(f"guard examples: {examples.passed}/{examples.total} pass "
                     f"(parent {examples.parent_passed}/{examples.total}); none broken"
                     if not examples.broken else
                     f"guard examples: breaks {len(examples.broken)}")
    for name, values in proposal.guard_gold.items():
        lines.append(f"guard gold {name}: dev macro-F1 {values.before:.4f} -> "
                     f"{values.after:.4f}")
    significance = proposal.significance
    if significance:
        lines.append(f"dev gain {significance.gain:+.4f}, one-sided paired bootstrap "
                     f"p={significance.p_value:.3f}")
    return lines


_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


def side_by_side(diff: str) -> list[DiffRow]:
    """Rows of a two-column view of a unified diff (removed lines paired with added ones)."""
    rows: list[DiffRow] = []
    left = right = 0
    removed: list[tuple[int, str]] = []
    added: list[tuple[int, str]] = []

    def flush() -> None:
        for index in range(max(len(removed), len(added))):
            old = removed[index] if index < len(removed) else (None, "")
            new = added[index] if index < len(added) else (None, "")
            kind = ("change" if old[0] is not None and new[0] is not None
                    else "delete" if old[0] is not None else "insert")
            rows.append(DiffRow(kind, old[0], old[1], new[0], new[1]))
        removed.clear()
        added.clear()

    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        match = _HUNK.match(line)
        if match:
            flush()
            left, right = int(match.group(1)), int(match.group(2))
            rows.append(DiffRow("hunk", None, line, None, ""))
        elif line.startswith("-"):
            removed.append((left, line[1:]))
            left += 1
        elif line.startswith("+"):
            added.append((right, line[1:]))
            right += 1
        else:
            flush()
            rows.append(DiffRow("context", left, line[1:], right, line[1:]))
            left += 1
            right += 1
    flush()
    return rows
