"""The optimize loop: score, analyse errors, propose, search, review, repeat.

Each round scores the current version on train and dev, analyses the training errors of the
worst failing labels (on dev), asks the proposer for revisions, lets Optuna pick the best
combination on dev (discarding candidates that break a guard example or lose ground on a guard
reference), and turns the best one that beats its parent beyond noise into a Proposal. Each
change of a proposal is classed widening, narrowing or setting. A proposal is applied only
once accepted: by a reviewer, or by ``auto_approve`` ("safe": widening and setting changes only;
"all": everything, recorded as such), which the audit log records as automatic. The loop stops
when every label with enough support clears its threshold on dev, when no proposal improves
dev, or when the budget (rounds, requests, tokens, time) is spent; then the first and the last
version are scored on every split and gold source (the transfer report).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from radprompt.experiments import Experiment, load_experiment
from radprompt.labelset import LabelSet, load_labelset
from radprompt.optimizers.approvals import (
    apply_accepted,
    auto_decision,
    load_program,
    parked,
    waits,
)
from radprompt.optimizers.budget import Budget, model_failing
from radprompt.optimizers.config import APPROVAL_MODES, OptimizeConfig, load_recipe
from radprompt.optimizers.program import Program, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram, extraction_recipe
from radprompt.optimizers.records import make_proposal, round_record
from radprompt.optimizers.report import finish_run
from radprompt.optimizers.rounds import (
    Choice,
    RoundGuards,
    candidates,
    choose,
    narrows,
    score_program,
)
from radprompt.optimizers.search import SearchResult, SearchSpace, search, settings_space
from radprompt.optimizers.transfer import TransferSettings
from radprompt.reports import Dataset
from radprompt.runs import ExtractionScore, RoundRecord, Run
from radprompt.scoring import ScoreReport, Verdict

__all__ = ["APPROVAL_MODES", "OptimizeConfig", "OptimizeOutcome", "Reporter", "optimize",
           "resume"]

logger = logging.getLogger(__name__)

class Reporter(Protocol):
    """What the loop tells whoever is watching (the CLI renders it; tests may ignore it)."""

    def round_started(self, number: int, failing: list[str]) -> None: ...
    def round_finished(self, record: RoundRecord, labelset: LabelSet) -> None: ...
    def trial_finished(self, done: int, total: int) -> None: ...
    def message(self, text: str) -> None: ...


class _SilentReporter:
    def round_started(self, number: int, failing: list[str]) -> None:
        pass

    def round_finished(self, record: RoundRecord, labelset: LabelSet) -> None:
        pass

    def trial_finished(self, done: int, total: int) -> None:
        pass

    def message(self, text: str) -> None:
        logger.info(text)


@dataclass
class OptimizeOutcome:
    run: Run
    status: str
    reason: str
    initial_test: ScoreReport | None = None
    final_test: ScoreReport | None = None
    rounds: list[RoundRecord] = field(default_factory=list)


def optimize(
    config: OptimizeConfig,
    *,
    runs_dir: Path = Path("runs"),
    reporter: Reporter | None = None,
) -> OptimizeOutcome:
    """Start a new run and drive it as far as approvals and budget allow.

    Everything that can fail on the user's input (labelset, recipe, experiment data, the
    approval mode) is checked before the run directory is created.
    """
    reporter = reporter or _SilentReporter()
    labelset = load_labelset(config.labelset)
    load_recipe(config.optimizer)  # fail early on a bad recipe
    experiment = load_experiment(config.experiment, labelset=labelset)
    _report_problems(experiment, reporter)
    experiment.check_usable()
    program = _initial_program(config, labelset)
    config = OptimizeConfig(**{**config.__dict__, "auto_approve": config.approval})
    run = Run.create(runs_dir, name=f"{labelset.name}-{_run_name(config)}",
                     config=config.to_json())
    with run.lock():
        try:
            program.save(run.path / "versions")
            run.update_manifest(initial_version=program.hash, current_version=program.hash,
                                input_problems=len(experiment.problems))
        except BaseException as exc:
            run.update_manifest(status="failed", reason=f"could not start: {exc}")
            raise
        return _guarded_drive(run, reporter)


def resume(run_path: str | Path, *, reporter: Reporter | None = None,
           changes: dict[str, Any] | None = None) -> OptimizeOutcome:
    """Continue a run after a crash, a kill or a review; finished work is not repeated.

    ``changes`` replace configuration keys (a larger budget ...); an ``llm`` entry is merged
    into the stored one, and only its ``PLACEMENT_KEYS`` (where requests go, e.g. a new
    ``api_base``) reach saved prompt versions: what the model sees never changes on resume.
    Raises ``RunLockedError`` when another process holds the run.
    """
    run = Run.open(run_path)
    with run.lock():
        if changes:
            config = run.manifest.config
            merged = {**config, **changes}
            if "llm" in changes:
                merged["llm"] = {**config.get("llm", {}), **changes["llm"]}
            run.update_manifest(config=merged)
        return _guarded_drive(run, reporter or _SilentReporter())


def _report_problems(experiment: Experiment, reporter: Reporter) -> None:
    problems = experiment.problems
    if not problems:
        return
    reporter.message(f"{len(problems)} row(s) of experiment {experiment.name} could not be "
                     "used and are left out:")
    for split, problem in problems[:20]:
        reporter.message(f"  {split}: {problem}")
    if len(problems) > 20:
        reporter.message(f"  ... and {len(problems) - 20} more")


def _guarded_drive(run: Run, reporter: Reporter) -> OptimizeOutcome:
    """Drive the run; an error or an interrupt never leaves it marked "running"."""
    try:
        return _drive(run, reporter)
    except KeyboardInterrupt:
        run.update_manifest(status="interrupted",
                            reason=f"interrupted; continue with: radprompt optimize --resume "
                                   f"{run.path}")
        raise
    except BaseException as exc:
        run.update_manifest(status="failed", reason=f"{type(exc).__name__}: {exc}")
        raise


def _run_name(config: OptimizeConfig) -> str:
    if not config.llm.get("model"):
        return Path(config.extractor).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(config.llm["model"]).split("/")[-1])


def _initial_program(config: OptimizeConfig, labelset: LabelSet) -> Program:
    if not config.uses_llm:
        return RulesProgram(labelset=labelset)
    return PromptProgram.initial(labelset=labelset, recipe=extraction_recipe(
        extractor=config.extractor, overrides=config.llm))


def _drive(run: Run, reporter: Reporter) -> OptimizeOutcome:
    config = OptimizeConfig.from_json(dict(run.manifest.config))
    mode = config.approval
    labelset = run.labelset()
    experiment = run.experiment()
    # A proposal left for review by an earlier session: under --auto-approve a narrowing one
    # stays parked (its labels are left alone) while the run goes on.
    for proposal in run.pending():
        why = proposal.needs_review
        if mode == "all" or (mode == "safe" and not why):
            run.record_decision(auto_decision(proposal.id, proposal.version, mode))
        elif mode == "none":
            run.update_manifest(status="awaiting_review")
            return OptimizeOutcome(run, "awaiting_review", waits(run, proposal.id, why))
    current = apply_accepted(run, llm=config.llm, labelset=labelset)
    # What earlier sessions of this run spent counts against the budget too.
    usage: dict[str, int] = {"requests": 0, "tokens": 0, **run.manifest.usage}
    run.update_manifest(status="running")
    budget = Budget(config)
    current, status, reason = _rounds(run, reporter, config=config, labelset=labelset,
                                      experiment=experiment, current=current, usage=usage,
                                      budget=budget)
    if status == "awaiting_review" and mode == "none":
        return OptimizeOutcome(run, status, reason, rounds=run.rounds())
    waiting = run.pending()
    if waiting and status == "finished":
        status = "awaiting_review"
        reason += "; " + waits(run, ", ".join(p.id for p in waiting), waiting[0].needs_review)
    initial = load_program(run, str(run.manifest.initial_version), llm=config.llm,
                           labelset=labelset)
    tests = finish_run(run, experiment=experiment, labelset=labelset, initial=initial,
                       final=current, status=status, reason=reason, usage=usage,
                       skip_scoring=budget.spent_money(usage) or status == "failed",
                       spent=lambda: budget.spent_money(usage))
    return OptimizeOutcome(run, status, reason, initial_test=tests[0], final_test=tests[1],
                           rounds=run.rounds())


@dataclass
class _Rounds:
    """What every round of one session of a run shares."""

    run: Run
    reporter: Reporter
    config: OptimizeConfig
    labelset: LabelSet
    experiment: Experiment
    usage: dict[str, int]
    budget: Budget
    recipe: dict[str, Any] = field(init=False)
    settings: TransferSettings = field(init=False)
    rejected: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.recipe = load_recipe(self.config.optimizer)
        self.settings = TransferSettings.from_recipe(self.recipe)
        statuses = self.run.statuses()
        self.rejected = {key for p in self.run.proposals() if statuses.get(p.id) == "rejected"
                         for key in p.revision_keys}

    def spent(self) -> bool:
        return self.budget.exhausted(self.usage) is not None

    def score(self, program: Program, dataset: Dataset) -> ExtractionScore:
        evaluation = score_program(program, dataset, self.labelset, usage=self.usage)
        self.run.update_manifest(usage=self.usage)
        return evaluation

    def stop_before(self, number: int) -> tuple[str, str] | None:
        """Why the run stops before round ``number`` starts (None: it goes on)."""
        if number > self.config.max_rounds:
            return "finished", f"{self.config.max_rounds} round(s) done"
        if spent := self.budget.exhausted(self.usage):
            return "finished", spent
        return None

    @staticmethod
    def stop_after(train: ExtractionScore, dev: ExtractionScore) -> tuple[str, str] | None:
        """Why the run stops once the current version is scored (None: it goes on)."""
        if problem := model_failing(train, dev):
            return "failed", problem
        if dev.report.all_pass:
            return "finished", "every label with enough support clears its threshold on dev"
        return None

    def targets(self, dev: ExtractionScore, excluded: set[str]) -> list[str]:
        """The worst failing labels on dev that are not ``excluded`` (a proposal waiting for
        review narrows them, or a round found nothing for them); once every failing label is
        tried, the passing labels that still err on dev, worst first."""
        ranked = sorted((s for s in dev.report.labels
                         if not self.labelset.get(s.label_id).derived), key=lambda s: s.f1)
        failing = [s.label_id for s in ranked if s.verdict is Verdict.FAIL]
        passing = [s.label_id for s in ranked if s.verdict is Verdict.PASS and s.f1 < 1.0]
        for group in (failing, passing):
            left = [label for label in group if label not in excluded]
            if left:
                return left[: self.config.labels_per_round]
        return []

    def search(self, number: int, current: Program, scores: tuple[ExtractionScore, ...],
               targets: list[str], waiting_keys: set[str]
               ) -> tuple[SearchResult, Choice | None, str, RoundGuards]:
        """Propose revisions for ``targets``, search them on dev, choose the best candidate."""
        dev = self.experiment.split("dev")
        revisions = candidates(self.run, number, self.recipe, current, self.labelset,
                               self.experiment, scores, targets,
                               self.rejected | waiting_keys, self.usage, self.settings)
        guards = RoundGuards(parent=current, labelset=self.labelset, parent_dev=scores[1],
                             guard_dev=self.experiment.guard_splits("dev"),
                             settings=self.settings, usage=self.usage, spent=self.spent)
        widening = frozenset(i for i, r in enumerate(revisions) if not narrows(current, r))
        result = search(program=current, space=SearchSpace(
                            revisions=tuple(revisions), settings=settings_space(current),
                            corners=(widening,)),
                        dev=dev, scorer=self.score, storage=self.run.study_storage,
                        study_name=f"round-{number:02d}", n_trials=self.config.n_trials,
                        minibatches=self.config.minibatches, seed=self.config.seed + number,
                        should_stop=self.spent, guards=guards.for_search(),
                        on_trial=self.reporter.trial_finished)
        if result.resumed_at is not None:
            self.reporter.message(f"resumed round {number} at trial {result.resumed_at}")
        choice, how = choose(result, parent=current, parent_dev=scores[1], dev=dev,
                             labelset=self.labelset, guards=guards, settings=self.settings,
                             min_gain=self.config.min_gain,
                             prefer_widening=self.config.approval == "safe",
                             seed=self.config.seed + number, usage=self.usage)
        self.run.update_manifest(usage=self.usage)
        return result, choice, how, guards

    def record(self, record: RoundRecord) -> None:
        self.run.append_round(record)
        self.reporter.round_finished(record, self.labelset)


def _nothing_to_target(tried: set[str], last: str) -> str:
    """Why no failing label is left for a round."""
    if tried:
        return f"{last} (every failing label tried: {', '.join(sorted(tried))})"
    return "the failing labels wait for a reviewer's decision on narrowing changes"


def _rounds(run: Run, reporter: Reporter, *, config: OptimizeConfig, labelset: LabelSet,
            experiment: Experiment, current: Program, usage: dict[str, int],
            budget: Budget) -> tuple[Program, str, str]:
    """Round after round until a stop; returns the current version, status and reason."""
    mode = config.approval
    rounds = _Rounds(run, reporter, config, labelset, experiment, usage, budget)
    # labels a round found no proposal for: the next round works on the next failing labels
    tried = {t for r in run.rounds() if r.proposal is None for t in r.targets}
    last = next((r.note for r in reversed(run.rounds()) if r.proposal is None), "")
    while True:
        number = len(run.rounds()) + 1
        if stop := rounds.stop_before(number):
            return current, stop[0], stop[1] + (f"; last fruitless round: {last}" if last else "")
        train_eval = score_program(current, experiment.split("train"), labelset, usage=usage)
        dev_eval = score_program(current, experiment.split("dev"), labelset, usage=usage)
        run.update_manifest(usage=usage)
        if stop := rounds.stop_after(train_eval, dev_eval):
            return current, *stop
        parked_labels, waiting_keys = parked(run)
        targets = rounds.targets(dev_eval, parked_labels | tried)
        if not targets:
            return current, "finished", _nothing_to_target(tried, last)
        reporter.round_started(number, targets)
        result, choice, how, guards = rounds.search(number, current, (train_eval, dev_eval),
                                                    targets, waiting_keys)
        if choice is None:
            rounds.record(round_record(number, dev_eval.report, dev_eval.report,
                                       train_eval.report, None, result, note=how,
                                       guard_gold=guards.baseline, targets=tuple(targets)))
            # a search cut short by the budget says so, not that nothing helps
            if spent := budget.exhausted(usage):
                return current, "finished", spent
            tried.update(targets)
            last = how
            reporter.message(f"round {number}: {how}; the next round works on the next "
                             "failing labels")
            continue
        candidate = choice.candidate.program
        candidate.save(run.path / "versions")
        proposal = make_proposal(number, current, choice, dev_eval, experiment, labelset,
                                 guard_report=guards.gate_report(candidate), how=how)
        run.write_proposal(proposal)
        rounds.record(round_record(
            number, dev_eval.report, choice.evaluation.report, train_eval.report, proposal.id,
            result, note=how, guard_gold={k: v["after"] for k, v in choice.guard_gold.items()},
            chosen=choice.candidate.chosen, targets=tuple(targets)))
        if mode == "none":
            run.update_manifest(status="awaiting_review")
            return current, "awaiting_review", waits(run, proposal.id, None)
        if mode == "safe" and choice.needs_review:
            reporter.message(waits(run, proposal.id, choice.needs_review)
                             + "; the run goes on with the other labels")
            continue
        run.record_decision(auto_decision(proposal.id, candidate.hash, mode))
        current = candidate
        run.update_manifest(current_version=current.hash,
                            applied=[*(run.manifest.applied or ()), proposal.id])
