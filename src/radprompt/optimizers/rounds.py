"""One round of the optimize loop: candidates, the guarded search, and the choice of a proposal.

A round's candidate revisions come from the recipe's proposer (narrowing ones only for labels
with enough support). The Optuna search discards trials that break a guard example their
parent passes, or that lower a guard reference's dev macro-F1 by more than the recipe's
tolerance. Of the remaining trials, the best one that beats the parent on dev under a one-sided
paired bootstrap becomes the proposal; under ``--auto-approve`` (widening and settings only) a
trial without narrowing changes is preferred when one is significant too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from radprompt.experiments import Experiment
from radprompt.labelset import LabelSet
from radprompt.optimizers.analysis import analyse_errors
from radprompt.optimizers.changes import Change, ChangeClass, classify_changes, narrowing_reason
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.proposers import build_proposer
from radprompt.optimizers.proposers.base import ProposalContext
from radprompt.optimizers.search import Candidate, Guards, SearchResult, settings_space
from radprompt.optimizers.transfer import (
    GuardGate,
    TransferSettings,
    guard_scores,
    paired_bootstrap,
)
from radprompt.reports import Dataset
from radprompt.runs import Run
from radprompt.runs.scoring import ExtractionScore, score_extraction

__all__ = ["Choice", "RoundGuards", "candidates", "choose", "count_usage", "labelset_of",
           "narrows", "score_program"]

logger = logging.getLogger(__name__)

_TRIED = 8
"""How many of the best trials are tested against the parent before giving up."""


def labelset_of(program: Program, fallback: LabelSet) -> LabelSet:
    return program.labelset if isinstance(program, RulesProgram) else fallback


def count_usage(usage: dict[str, int] | None, spent: Any) -> None:
    """Add an LLM ``Usage`` (requests sent, tokens) to the loop's budget counters."""
    if usage is None or spent is None:
        return
    usage["requests"] = usage.get("requests", 0) + spent.requests
    usage["tokens"] = usage.get("tokens", 0) + spent.prompt_tokens + spent.completion_tokens


def score_program(program: Program, dataset: Dataset, labelset: LabelSet, *,
                  usage: dict[str, int] | None = None) -> ExtractionScore:
    extractor = program.build_extractor()
    evaluation = score_extraction(lambda reports: extractor.extract(reports), dataset,
                                  labelset=labelset_of(program, labelset))
    count_usage(usage, extractor.usage_)
    return evaluation


def _support(evaluation: ExtractionScore, label_id: str) -> int:
    try:
        return evaluation.report.label(label_id).support
    except KeyError:
        return 0


def candidates(run: Run, number: int, recipe: dict[str, Any], current: Program,
               labelset: LabelSet, experiment: Experiment, evaluations: tuple[ExtractionScore, ...],
               targets: list[str], rejected: set[str], usage: dict[str, int],
               settings: TransferSettings) -> list[Revision]:
    """The round's candidate revisions: read back if this round already proposed them.

    ``evaluations`` are (train, dev). A narrowing revision of a label with fewer than
    ``settings.narrowing_min_support`` positives on train or dev is dropped.
    """
    path = run.path / "candidates" / f"round-{number:02d}.json"
    if path.is_file():
        return [Revision.from_json(r) for r in json.loads(path.read_text("utf-8"))]
    train_eval = evaluations[0]
    errors = analyse_errors(train_eval, experiment.split("train"),
                            labelset=labelset_of(current, labelset), labels=targets)
    proposer = build_proposer(recipe, program=current)
    context = ProposalContext(program=current, labelset=labelset,
                              train=experiment.split("train"), train_evaluation=train_eval,
                              errors=errors, rejected=rejected)
    revisions = proposer.propose(context)
    count_usage(usage, proposer.usage_)
    run.update_manifest(usage=usage)
    kept = []
    for revision in revisions:
        support = min(_support(e, revision.label_id or "") for e in evaluations)
        if (revision.label_id is not None and support < settings.narrowing_min_support
                and narrows(current, revision)):
            logger.info("dropped %s: %s has %d positive(s), too few to narrow it",
                        revision.describe(), revision.label_id, support)
            continue
        kept.append(revision)
    path.write_text(json.dumps([r.to_json() for r in kept], indent=2) + "\n", "utf-8")
    return kept


def narrows(program: Program, revision: Revision) -> bool:
    """Whether ``revision`` narrows a label of ``program`` (``changes.classify_changes``)."""
    try:
        changes = classify_changes(parent=program, revisions=[revision], settings={})
    except ValueError:
        return False
    return any(c.change_class is ChangeClass.NARROWING for c in changes)


class RoundGuards:
    """The guards of one round: guard examples and guard gold, against the round's parent."""

    def __init__(self, *, parent: Program, labelset: LabelSet, parent_dev: ExtractionScore,
                 guard_dev: dict[str, Dataset], settings: TransferSettings,
                 usage: dict[str, int], spent: Callable[[], bool] = lambda: False) -> None:
        self.labelset = labelset
        self.settings = settings
        self.guard_dev = guard_dev
        self.usage = usage
        self.spent = spent
        self.gate: GuardGate | None = None
        self._parent = parent.build_extractor()
        self._parent_counted: Any = None
        if settings.guard_examples:
            self.gate = GuardGate(labelset=labelset_of(parent, labelset), parent=self._parent)
        self.baseline = {name: report.macro_f1 for name, report in guard_scores(
            parent_dev.predictions, guard_dev, labelset=labelset_of(parent, labelset)).items()}
        self._checked: dict[str, str | None] = {}
        self._current = {name: choices[0] for name, choices in settings_space(parent).items()}

    def check(self, program: Program, chosen: tuple[Revision, ...],
              settings: dict[str, Any]) -> str | None:
        """Why ``program`` breaks a guard example its parent passes (None: it does not)."""
        if self.gate is None:
            return None
        if program.hash not in self._checked and self.spent():
            return "the budget is spent; the guard examples were not run"
        if program.hash not in self._checked:
            moved = {k: v for k, v in settings.items() if self._current.get(k) != v}
            labels = None if moved or any(r.label_id is None for r in chosen) else sorted(
                {r.label_id for r in chosen if r.label_id})
            if chosen or moved:
                extractor = program.build_extractor()
                _, broken = self.gate.broken(labelset_of(program, self.labelset), extractor,
                                             labels=labels or None)
                count_usage(self.usage, extractor.usage_)
                self._count_parent()
            else:
                broken = []
            self._checked[program.hash] = (
                f"breaks {len(broken)} guard example(s): " + "; ".join(broken[:3])
                if broken else None)
        return self._checked[program.hash]

    def gate_report(self, program: Program) -> dict[str, Any] | None:
        """The guard examples run on ``program`` (every label), for its proposal record."""
        if self.gate is None or self.spent():
            return None
        extractor = program.build_extractor()
        report, broken = self.gate.broken(labelset_of(program, self.labelset), extractor)
        count_usage(self.usage, extractor.usage_)
        parent = self.gate.parent_report()
        self._count_parent()
        return {"total": report.total, "passed": report.passed,
                "parent_passed": parent.passed, "broken": broken,
                "failures": [{"label_id": f.label_id, "text": f.text,
                              "expected": str(f.expected.value), "got": str(f.got.value)}
                             for f in report.failures]}

    def _count_parent(self) -> None:
        """Add what the parent's extractor sent in its last call (if it ran) to the budget."""
        spent = self._parent.usage_
        if spent is not None and spent is not self._parent_counted:
            count_usage(self.usage, spent)
            self._parent_counted = spent

    def gold(self, evaluation: ExtractionScore, program: Program) -> dict[str, float]:
        return {name: report.macro_f1 for name, report in guard_scores(
            evaluation.predictions, self.guard_dev,
            labelset=labelset_of(program, self.labelset)).items()}

    def verify(self, program: Program, evaluation: ExtractionScore) -> str | None:
        """Why ``program`` loses too much on a guard reference (None: it does not)."""
        drops = []
        for name, value in self.gold(evaluation, program).items():
            if value < self.baseline[name] - self.settings.guard_tolerance:
                drops.append(f"{name} dev macro-F1 {self.baseline[name]:.4f} -> {value:.4f}")
        if drops:
            return (f"lowers guard gold beyond the tolerance "
                    f"{self.settings.guard_tolerance:g}: " + "; ".join(drops))
        return None

    def for_search(self) -> Guards:
        return Guards(check=self.check, verify=self.verify)


@dataclass(frozen=True)
class Choice:
    """The trial that becomes the round's proposal, and what was tested about it."""

    candidate: Candidate
    evaluation: ExtractionScore
    changes: tuple[Change, ...]
    gain: float
    p_value: float
    guard_gold: dict[str, dict[str, float]]
    needs_review: str | None
    """Why a reviewer must decide under ``--auto-approve`` (narrowing changes), or None."""


def choose(result: SearchResult, *, parent: Program, parent_dev: ExtractionScore, dev: Dataset,
           labelset: LabelSet, guards: RoundGuards, settings: TransferSettings,
           min_gain: float, prefer_widening: bool, seed: int,
           usage: dict[str, int]) -> tuple[Choice | None, str]:
    """The proposal of a round (or None) and a sentence on how it was chosen."""
    current_settings = {name: choices[0] for name, choices in settings_space(parent).items()}
    held: Choice | None = None
    noise: list[str] = []
    tried: set[str] = {parent.hash}
    for ranked in result.ranked[:_TRIED]:
        if ranked.value <= parent_dev.report.macro_f1 + min_gain:
            break
        options = [ranked]
        kept = tuple(r for r in ranked.chosen if not narrows(parent, r)) if prefer_widening \
            else ranked.chosen
        if len(kept) < len(ranked.chosen):
            # the same trial without its narrowing revisions, which --auto-approve may accept
            options.insert(0, Candidate(
                program=parent.apply(kept).with_settings(ranked.settings), chosen=kept,
                settings=ranked.settings, value=ranked.value, trial=ranked.trial))
        for candidate in options:
            if candidate.program.hash in tried:
                continue
            tried.add(candidate.program.hash)
            choice = _test(candidate, parent=parent, parent_dev=parent_dev, dev=dev,
                           labelset=labelset, guards=guards, settings=settings, seed=seed,
                           usage=usage, current_settings=current_settings, noise=noise)
            if choice is None:
                continue
            if choice.needs_review is None or not prefer_widening:
                return choice, (f"dev gain {choice.gain:+.4f} (paired bootstrap "
                                f"p={choice.p_value:.3f})")
            held = held or choice
    if held is not None:
        return held, (f"dev gain {held.gain:+.4f} (paired bootstrap p={held.p_value:.3f}); no "
                      "significant candidate without narrowing changes")
    if noise:
        return None, ("no proposal beats its parent on dev beyond noise (one-sided paired "
                      f"bootstrap, alpha {settings.alpha:g}: " + "; ".join(noise[:3]) + ")")
    return None, "no proposal improves dev macro-F1"


def _test(candidate: Candidate, *, parent: Program, parent_dev: ExtractionScore, dev: Dataset,
          labelset: LabelSet, guards: RoundGuards, settings: TransferSettings, seed: int,
          usage: dict[str, int], current_settings: dict[str, Any],
          noise: list[str]) -> Choice | None:
    """``candidate`` as a proposal if it passes the guards and beats its parent beyond noise."""
    if guards.check(candidate.program, candidate.chosen, candidate.settings) is not None:
        return None
    evaluation = score_program(candidate.program, dev, labelset, usage=usage)
    if guards.verify(candidate.program, evaluation) is not None:
        return None
    gain, p_value = paired_bootstrap(
        before=parent_dev.predictions, after=evaluation.predictions, dataset=dev,
        labelset=labelset_of(candidate.program, labelset),
        samples=settings.bootstrap_samples, seed=seed)
    if p_value > settings.alpha:
        noise.append(f"trial {candidate.trial}: {gain:+.4f}, p={p_value:.3f}")
        return None
    changes = tuple(classify_changes(parent=parent, revisions=candidate.chosen,
                                     settings=candidate.settings,
                                     current_settings=current_settings))
    after = guards.gold(evaluation, candidate.program)
    return Choice(candidate=candidate, evaluation=evaluation, changes=changes,
                  gain=gain, p_value=p_value,
                  guard_gold={name: {"before": guards.baseline[name], "after": value}
                              for name, value in after.items()},
                  needs_review=narrowing_reason(changes))
