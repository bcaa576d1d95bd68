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

from radprompt.errors import InputError
from radprompt.experiments import Experiment, load_experiment
from radprompt.labelset import LabelSet, load_labelset, read_yaml
from radprompt.optimizers.approvals import (
    apply_accepted,
    auto_decision,
    load_program,
    parked,
    waits,
)
from radprompt.optimizers.budget import Budget, model_failing
from radprompt.optimizers.program import Program, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram, extraction_recipe
from radprompt.optimizers.records import make_proposal, round_record
from radprompt.optimizers.report import finish_run
from radprompt.optimizers.rounds import RoundGuards, candidates, choose, score_program
from radprompt.optimizers.search import SearchSpace, search, settings_space
from radprompt.optimizers.transfer import TransferSettings
from radprompt.resources import find_resource
from radprompt.runs import RoundRecord, Run
from radprompt.scoring import ScoreReport, Verdict

__all__ = ["APPROVAL_MODES", "OptimizeConfig", "OptimizeOutcome", "Reporter", "optimize",
           "resume"]

logger = logging.getLogger(__name__)

APPROVAL_MODES = ("safe", "all", "none")
"""``safe``: accept widening and setting changes automatically, narrowing waits for a reviewer;
``all``: accept everything (recorded as such); ``none``: a reviewer decides every proposal."""


@dataclass
class OptimizeConfig:
    """Everything a run needs to be reproduced; stored in its manifest."""

    labelset: str = "chestxray21"
    experiment: str = "demo"
    extractor: str = "rules"
    optimizer: str = "error_driven"
    auto_approve: bool | str | None = None
    """One of ``APPROVAL_MODES`` (True means "safe", False "none"). None: "safe" for the rule
    engine, a reviewer for an LLM prompt."""
    llm: dict[str, Any] = field(default_factory=dict)
    """LLM recipe keys given on the command line (model, api_base, allow_remote, ...); they
    override the ``extractor`` recipe, or describe the model alone (``extractor`` "llm", or
    the default "rules": a model given here means the prompt is optimized)."""
    max_rounds: int = 8
    max_requests: int | None = None
    max_tokens: int | None = None
    time_limit: float | None = None
    labels_per_round: int = 3
    n_trials: int = 30
    minibatches: int = 4
    seed: int = 0
    min_gain: float = 1e-9

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "llm": dict(self.llm)}

    @property
    def uses_llm(self) -> bool:
        return bool(self.llm) or self.extractor != "rules"

    @property
    def approval(self) -> str:
        """The approval mode, one of ``APPROVAL_MODES``."""
        mode = self.auto_approve
        if mode is None:
            return "none" if self.uses_llm else "safe"
        if isinstance(mode, bool):
            return "safe" if mode else "none"
        if mode not in APPROVAL_MODES:
            raise ValueError(f"auto_approve {mode!r}: use one of {', '.join(APPROVAL_MODES)}")
        return mode

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OptimizeConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


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


def load_recipe(name: str) -> dict[str, Any]:
    path = find_resource("optimizers", name, suffix=".yaml")
    recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "proposer" not in recipe:
        raise InputError(path, "an optimizer recipe is a mapping with a 'proposer' key")
    try:
        TransferSettings.from_recipe(recipe)
    except (TypeError, ValueError) as exc:
        raise InputError(path, str(exc), where="transfer") from exc
    return recipe


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
                       skip_scoring=budget.spent_money(usage) or status == "failed")
    return OptimizeOutcome(run, status, reason, initial_test=tests[0], final_test=tests[1],
                           rounds=run.rounds())


def _rounds(run: Run, reporter: Reporter, *, config: OptimizeConfig, labelset: LabelSet,
            experiment: Experiment, current: Program, usage: dict[str, int],
            budget: Budget) -> tuple[Program, str, str]:
    """Round after round until a stop; returns the current version, status and reason."""
    mode = config.approval
    recipe = load_recipe(config.optimizer)
    settings = TransferSettings.from_recipe(recipe)
    statuses = run.statuses()
    rejected = {key for p in run.proposals() if statuses.get(p.id) == "rejected"
                for key in p.revision_keys}
    dev = experiment.split("dev")
    while True:
        number = len(run.rounds()) + 1
        if number > config.max_rounds:
            return current, "finished", f"{config.max_rounds} round(s) done"
        if spent := budget.exhausted(usage):
            return current, "finished", spent
        train_eval = score_program(current, experiment.split("train"), labelset, usage=usage)
        dev_eval = score_program(current, dev, labelset, usage=usage)
        run.update_manifest(usage=usage)
        if problem := model_failing(train_eval, dev_eval):
            return current, "failed", problem
        if dev_eval.report.all_pass:
            return current, "finished", ("every label with enough support clears its "
                                         "threshold on dev")
        parked_labels, waiting_keys = parked(run)
        failing = [s.label_id for s in sorted(dev_eval.report.labels, key=lambda s: s.f1)
                   if s.verdict is Verdict.FAIL and not labelset.get(s.label_id).derived]
        targets = [label for label in failing
                   if label not in parked_labels][: config.labels_per_round]
        if not targets:
            return current, "finished", ("the failing labels wait for a reviewer's decision "
                                         "on narrowing changes")
        reporter.round_started(number, targets)
        revisions = candidates(run, number, recipe, current, labelset, experiment,
                               (train_eval, dev_eval), targets, rejected | waiting_keys, usage,
                               settings)
        guards = RoundGuards(parent=current, labelset=labelset, parent_dev=dev_eval,
                             guard_dev=experiment.guard_splits("dev"), settings=settings,
                             usage=usage, spent=lambda: budget.exhausted(usage) is not None)

        def scorer(program: Program, chunk: Any) -> Any:
            evaluation = score_program(program, chunk, labelset, usage=usage)
            run.update_manifest(usage=usage)
            return evaluation

        result = search(program=current, space=SearchSpace(
                            revisions=tuple(revisions), settings=settings_space(current)),
                        dev=dev, scorer=scorer, storage=run.study_storage,
                        study_name=f"round-{number:02d}", n_trials=config.n_trials,
                        minibatches=config.minibatches, seed=config.seed + number,
                        should_stop=lambda: budget.exhausted(usage) is not None,
                        guards=guards.for_search(), on_trial=reporter.trial_finished)
        if result.resumed_at is not None:
            reporter.message(f"resumed round {number} at trial {result.resumed_at}")
        choice, how = choose(result, parent=current, parent_dev=dev_eval, dev=dev,
                             labelset=labelset, guards=guards, settings=settings,
                             min_gain=config.min_gain, prefer_widening=mode == "safe",
                             seed=config.seed + number, usage=usage)
        run.update_manifest(usage=usage)
        if choice is None:
            record = round_record(number, dev_eval.report, dev_eval.report, train_eval.report,
                                  None, result, note=how, guard_gold=guards.baseline)
            run.append_round(record)
            reporter.round_finished(record, labelset)
            # a search cut short by the budget says so, not that nothing helps
            return current, "finished", budget.exhausted(usage) or how
        candidate = choice.candidate.program
        candidate.save(run.path / "versions")
        proposal = make_proposal(number, current, choice, dev_eval, experiment, labelset,
                                 guard_report=guards.gate_report(candidate), how=how)
        run.write_proposal(proposal)
        record = round_record(number, dev_eval.report, choice.evaluation.report,
                              train_eval.report, proposal.id, result, note=how,
                              guard_gold={k: v["after"] for k, v in choice.guard_gold.items()})
        run.append_round(record)
        reporter.round_finished(record, labelset)
        if mode == "none":
            run.update_manifest(status="awaiting_review")
            return current, "awaiting_review", waits(run, proposal.id, None)
        if mode == "safe" and choice.needs_review:
            reporter.message(waits(run, proposal.id, choice.needs_review)
                             + "; the run goes on with the other labels")
            continue
        run.record_decision(auto_decision(proposal.id, candidate.hash, mode))
        current = candidate
        applied = [*(run.manifest.applied or ()), proposal.id]
        run.update_manifest(current_version=current.hash, applied=applied)
