"""What a round leaves behind: its line in ``rounds.jsonl`` and its proposal."""

from __future__ import annotations

import difflib
from typing import Any

from radprompt.experiments import Experiment
from radprompt.findings import Findings
from radprompt.labelset import LabelSet
from radprompt.optimizers.program import Program, Revision
from radprompt.optimizers.rounds import Choice
from radprompt.optimizers.search import SearchResult, settings_space
from radprompt.reports import Dataset
from radprompt.runs import (
    PROPOSAL_FORMAT,
    ExtractionScore,
    GuardExamplesResult,
    GuardGold,
    Proposal,
    ReportChange,
    RoundRecord,
    ScoreSummary,
    Significance,
)
from radprompt.scoring import ScoreReport

__all__ = ["PROPOSAL_FORMAT", "make_proposal", "report_changes", "round_record"]


def round_record(number: int, before: ScoreReport, after: ScoreReport, train: ScoreReport,
                 proposal_id: str | None, result: SearchResult, *, note: str = "",
                 guard_gold: dict[str, float] | None = None,
                 chosen: tuple[Revision, ...] | None = None,
                 targets: tuple[str, ...] = ()) -> RoundRecord:
    """One line of ``rounds.jsonl``: dev F1 per label before / after, verdicts, the search.

    ``chosen``: the proposal's revisions when they differ from the best trial's (its widening
    part, which ``--auto-approve`` may accept)."""
    revisions = result.chosen if chosen is None else chosen
    return RoundRecord(
        round=number,
        proposal=proposal_id,
        train_macro_f1=train.macro_f1,
        dev_macro_f1_before=before.macro_f1,
        dev_macro_f1=after.macro_f1,
        dev_micro_f1=after.micro_f1,
        dev_f1_before={s.label_id: s.f1 for s in before.labels},
        dev_f1={s.label_id: s.f1 for s in after.labels},
        dev_verdict={s.label_id: s.verdict.value for s in after.labels},
        trials=result.trials,
        pruned=result.pruned,
        rejected=result.rejected,
        chosen=tuple(r.describe() for r in revisions) if proposal_id else (),
        settings=result.settings if proposal_id else {},
        note=note,
        guard_gold_dev=guard_gold or {},
        targets=targets,
    )


def make_proposal(number: int, parent: Program, choice: Choice, before: ExtractionScore,
                  experiment: Experiment, labelset: LabelSet, *,
                  guard_report: dict[str, Any] | None, how: str) -> Proposal:
    """A proposal: the diff of the review texts, the revisions and settings with their
    rationale and change class, dev scores before / after, the tests it passed (guard
    examples, guard gold, the paired bootstrap), and the dev reports it fixes and breaks."""
    candidate, chosen = choice.candidate.program, choice.candidate.chosen
    settings, after = choice.candidate.settings, choice.evaluation
    diff = "".join(difflib.unified_diff(
        parent.review_text().splitlines(keepends=True),
        candidate.review_text().splitlines(keepends=True),
        fromfile=f"version {parent.hash}", tofile=f"version {candidate.hash}"))
    fixes, breaks = report_changes(before.predictions, after.predictions, experiment.split("dev"),
                                   labelset)
    setting_notes = [f"{name} = {value}" for name, value in settings.items()
                     if value != settings_space(parent).get(name, (None,))[0]]
    return Proposal(
        format_version=PROPOSAL_FORMAT,
        id=f"round-{number:02d}",
        round=number,
        program_kind=candidate.kind,
        parent=parent.hash,
        version=candidate.hash,
        diff=diff,
        revisions=tuple(r.to_json() for r in chosen),
        revision_keys=tuple(r.key for r in chosen),
        settings=settings,
        changes=tuple(choice.changes),
        needs_review=choice.needs_review,
        rationale="\n".join([*(f"{r.describe()}: {r.rationale}"
                                + (f" (train F1 {r.gain:+.3f})" if r.gain else "")
                                for r in chosen),
                              *(f"search setting {note}" for note in setting_notes)]),
        dev_before=ScoreSummary.from_json(before.report.to_json()),
        dev_after=ScoreSummary.from_json(after.report.to_json()),
        significance=Significance(gain=choice.gain, p_value=choice.p_value, how=how),
        guard_gold={name: GuardGold(before=v["before"], after=v["after"])
                    for name, v in choice.guard_gold.items()},
        guard_examples=GuardExamplesResult.from_json(guard_report) if guard_report else None,
        fixes=tuple(ReportChange.from_json(e) for e in fixes),
        breaks=tuple(ReportChange.from_json(e) for e in breaks),
    )


def report_changes(before: dict[str, Findings], after: dict[str, Findings], dev: Dataset,
                   labelset: LabelSet, limit: int = 50
                   ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(fixes, breaks): per report and label, where the binary answer became right / wrong."""
    empty = Findings(report_id="")
    fixes: list[dict[str, Any]] = []
    breaks: list[dict[str, Any]] = []
    labels = dev.covered_labels or labelset.ids
    for report_id, reference in dev.references.items():
        old, new = before.get(report_id, empty), after.get(report_id, empty)
        for label_id in labels:
            policy = dev.policy(labelset.get(label_id))
            gold = reference.is_positive(label_id, policy)
            was = old.is_positive(label_id, policy) == gold
            now = new.is_positive(label_id, policy) == gold
            if was == now:
                continue
            evidence = new.finding(label_id).evidence or old.finding(label_id).evidence
            entry = {"report_id": report_id, "label_id": label_id,
                     "reference": reference.state(label_id).value,
                     "before": old.state(label_id).value, "after": new.state(label_id).value,
                     "sentence": evidence.text if evidence else "",
                     "span": [evidence.start, evidence.end] if evidence else None}
            (fixes if now else breaks).append(entry)
    return fixes[:limit], breaks[:limit]
