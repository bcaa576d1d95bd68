"""The optimize loop: score, analyse errors, propose, search, review, repeat.

Each round scores the current version on train and dev, analyses the training errors of the
worst failing labels (on dev), asks the proposer for revisions, lets Optuna pick the best
combination on dev, and turns it into a Proposal. A proposal is applied only once accepted (by
a reviewer, or ``auto_approve``, which the audit log records as automatic). The loop stops when
every label with enough support clears its threshold on dev, when no proposal improves dev, or
when the budget (rounds, requests, tokens, time) is spent; then the first and the last version
are scored on the held-out test split.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from radprompt.errors import InputError
from radprompt.experiments import Experiment, load_experiment
from radprompt.labelset import LabelSet, load_labelset, read_yaml
from radprompt.optimizers.analysis import Evaluation, analyse_errors, evaluate
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram, extraction_recipe
from radprompt.optimizers.proposers import build_proposer
from radprompt.optimizers.proposers.base import ProposalContext
from radprompt.optimizers.records import make_proposal, round_record
from radprompt.optimizers.runs import Decision, Run
from radprompt.optimizers.search import SearchSpace, search, settings_space
from radprompt.reports import Dataset
from radprompt.resources import find_resource
from radprompt.scoring import ScoreReport, Verdict

__all__ = ["OptimizeConfig", "OptimizeOutcome", "Reporter", "optimize", "resume"]

logger = logging.getLogger(__name__)


@dataclass
class OptimizeConfig:
    """Everything a run needs to be reproduced; stored in its manifest."""

    labelset: str = "chestxray21"
    experiment: str = "demo"
    extractor: str = "rules"
    optimizer: str = "error_driven"
    auto_approve: bool | None = None
    """None: automatic for the rule engine, a reviewer for an LLM prompt."""
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

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OptimizeConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


class Reporter(Protocol):
    """What the loop tells whoever is watching (the CLI renders it; tests may ignore it)."""

    def round_started(self, number: int, failing: list[str]) -> None: ...
    def round_finished(self, record: dict[str, Any], labelset: LabelSet) -> None: ...
    def trial_finished(self, done: int, total: int) -> None: ...
    def message(self, text: str) -> None: ...


class _SilentReporter:
    def round_started(self, number: int, failing: list[str]) -> None:
        pass

    def round_finished(self, record: dict[str, Any], labelset: LabelSet) -> None:
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
    rounds: list[dict[str, Any]] = field(default_factory=list)


def load_recipe(name: str) -> dict[str, Any]:
    path = find_resource("optimizers", name, suffix=".yaml")
    recipe = read_yaml(path)
    if not isinstance(recipe, dict) or "proposer" not in recipe:
        raise InputError(path, "an optimizer recipe is a mapping with a 'proposer' key")
    return recipe


def optimize(
    config: OptimizeConfig,
    *,
    runs_dir: Path = Path("runs"),
    reporter: Reporter | None = None,
) -> OptimizeOutcome:
    """Start a new run and drive it as far as approvals and budget allow."""
    labelset = load_labelset(config.labelset)
    load_recipe(config.optimizer)  # fail early on a bad recipe
    program = _initial_program(config, labelset)
    if config.auto_approve is None:
        config = replace(config, auto_approve=program.kind == "rules")
    run = Run.create(runs_dir, name=f"{labelset.name}-{_run_name(config)}",
                     config=config.to_json())
    program.save(run.path / "versions")
    run.update_manifest(initial_version=program.hash, current_version=program.hash)
    return _drive(run, reporter or _SilentReporter())


def resume(run_path: str | Path, *, reporter: Reporter | None = None,
           changes: dict[str, Any] | None = None) -> OptimizeOutcome:
    """Continue a run after a crash, a kill or a review; finished work is not repeated.

    ``changes`` replace configuration keys (a larger budget ...); an ``llm`` entry is merged
    into the stored one, and only its ``PLACEMENT_KEYS`` (where requests go, e.g. a new
    ``api_base``) reach saved prompt versions: what the model sees never changes on resume.
    """
    run = Run.open(run_path)
    if changes:
        config = run.manifest["config"]
        merged = {**config, **changes}
        if "llm" in changes:
            merged["llm"] = {**config.get("llm", {}), **changes["llm"]}
        run.update_manifest(config=merged)
    return _drive(run, reporter or _SilentReporter())


def _run_name(config: OptimizeConfig) -> str:
    if not config.llm.get("model"):
        return Path(config.extractor).stem
    return re.sub(r"[^A-Za-z0-9._-]+", "-", str(config.llm["model"]).split("/")[-1])


def _initial_program(config: OptimizeConfig, labelset: LabelSet) -> Program:
    if not config.uses_llm:
        return RulesProgram(labelset=labelset)
    return PromptProgram.initial(labelset=labelset, recipe=extraction_recipe(
        extractor=config.extractor, overrides=config.llm))


def _load_program(run: Run, version: str, *, config: OptimizeConfig,
                  labelset: LabelSet) -> Program:
    path = run.version_path(version)
    if path.suffix == PromptProgram.suffix:
        # Where requests go is the run's configuration; what the model sees is the version's.
        return PromptProgram.load(path, labelset=labelset, cache_path=run.path / "cache.sqlite",
                                  overrides=config.llm)
    return RulesProgram.load(path)


class _Budget:
    def __init__(self, config: OptimizeConfig) -> None:
        self.config = config
        self.started = time.monotonic()

    def exhausted(self, usage: dict[str, int]) -> str | None:
        c = self.config
        if c.time_limit is not None and time.monotonic() - self.started >= c.time_limit:
            return f"time limit of {c.time_limit:g} s reached"
        if c.max_requests is not None and usage.get("requests", 0) >= c.max_requests:
            return f"request budget of {c.max_requests} spent"
        if c.max_tokens is not None and usage.get("tokens", 0) >= c.max_tokens:
            return f"token budget of {c.max_tokens} spent"
        return None

    def spent_money(self, usage: dict[str, int]) -> bool:
        """Whether the request or token budget (not time) is spent."""
        c = self.config
        return bool((c.max_requests is not None and usage.get("requests", 0) >= c.max_requests)
                    or (c.max_tokens is not None and usage.get("tokens", 0) >= c.max_tokens))


def _drive(run: Run, reporter: Reporter) -> OptimizeOutcome:
    manifest = run.manifest
    config = OptimizeConfig.from_json(manifest["config"])
    recipe = load_recipe(config.optimizer)
    labelset = load_labelset(config.labelset)
    experiment = load_experiment(config.experiment, labelset=labelset)
    budget = _Budget(config)
    current = _load_program(run, manifest["current_version"], config=config, labelset=labelset)
    rejected = {key for p in run.proposals() if run.status_of(p["id"]) == "rejected"
                for key in p["revision_keys"]}

    # A proposal left for review by an earlier session.
    for proposal in run.pending():
        if config.auto_approve:
            run.record_decision(Decision(proposal["id"], "accepted", reviewer="auto-approve",
                                         automatic=True, version=proposal["version"]))
        else:
            run.update_manifest(status="awaiting_review")
            return OptimizeOutcome(run, "awaiting_review",
                                   f"proposal {proposal['id']} waits for review")
    current = _apply_decisions(run, current, config=config, labelset=labelset)

    # What earlier sessions of this run spent counts against the budget too.
    usage: dict[str, int] = {"requests": 0, "tokens": 0, **manifest.get("usage", {})}
    reason = ""
    status = "running"
    run.update_manifest(status="running")
    while True:
        number = len(run.rounds()) + 1
        if number > config.max_rounds:
            reason, status = f"{config.max_rounds} round(s) done", "finished"
            break
        if spent := budget.exhausted(usage):
            reason, status = spent, "finished"
            break
        train_eval = _score(current, experiment.split("train"), labelset, usage=usage)
        dev_eval = _score(current, experiment.split("dev"), labelset, usage=usage)
        run.update_manifest(usage=usage)
        if problem := _model_failing(train_eval, dev_eval):
            reason, status = problem, "failed"
            break
        if dev_eval.report.all_pass:
            reason, status = "every label with enough support clears its threshold on dev", \
                "finished"
            break
        failing = [s.label_id for s in sorted(dev_eval.report.labels, key=lambda s: s.f1)
                   if s.verdict is Verdict.FAIL and not labelset.get(s.label_id).derived]
        targets = failing[: config.labels_per_round]
        reporter.round_started(number, targets)
        revisions = _candidates(run, number, recipe, current, labelset, experiment,
                                train_eval, targets, rejected, usage)
        space = SearchSpace(revisions=tuple(revisions), settings=settings_space(current))
        scorer = _TrialScorer(labelset, dev_size=len(experiment.split("dev").reports),
                              reporter=reporter, total=config.n_trials, usage=usage, run=run)
        result = search(program=current, space=space, dev=experiment.split("dev"),
                        scorer=scorer, storage=run.study_storage,
                        study_name=f"round-{number:02d}", n_trials=config.n_trials,
                        minibatches=config.minibatches, seed=config.seed + number,
                        should_stop=lambda: budget.exhausted(usage) is not None)
        before = dev_eval.report
        if result.value <= before.macro_f1 + config.min_gain:
            record = round_record(number, before, before, train_eval.report, None, result)
            run.append("rounds.jsonl", record)
            reporter.round_finished(record, labelset)
            reason, status = "no proposal improves dev macro-F1", "finished"
            break
        candidate = result.program
        candidate.save(run.path / "versions")
        after_eval = _score(candidate, experiment.split("dev"), labelset, usage=usage)
        run.update_manifest(usage=usage)
        proposal = make_proposal(number, current, candidate, result.chosen,
                                 result.settings, dev_eval, after_eval, experiment, labelset)
        run.write_proposal(proposal)
        record = round_record(number, before, after_eval.report, train_eval.report,
                               proposal["id"], result)
        run.append("rounds.jsonl", record)
        reporter.round_finished(record, labelset)
        if not config.auto_approve:
            run.update_manifest(status="awaiting_review")
            return OptimizeOutcome(run, "awaiting_review",
                                   f"proposal {proposal['id']} waits for review: "
                                   f"radprompt review {run.path}", rounds=run.rounds())
        run.record_decision(Decision(proposal["id"], "accepted", reviewer="auto-approve",
                                     automatic=True, version=candidate.hash))
        current = candidate
        run.update_manifest(current_version=current.hash)

    return _finish(run, experiment, labelset, current, status, reason, config=config,
                   usage=usage, budget=budget)


class _TrialScorer:
    """Dev macro-F1 of a trial's program on one minibatch; tells the reporter per full trial."""

    def __init__(self, labelset: LabelSet, *, dev_size: int, reporter: Reporter,
                 total: int, usage: dict[str, int], run: Run) -> None:
        self.labelset = labelset
        self.dev_size = dev_size
        self.reporter = reporter
        self.total = total
        self.usage = usage
        self.run = run
        self.done = 0

    def __call__(self, program: Program, chunk: Dataset) -> float:
        requests = self.usage.get("requests", 0)
        value = _score(program, chunk, self.labelset, usage=self.usage).report.macro_f1
        if self.usage.get("requests", 0) != requests:
            self.run.update_manifest(usage=self.usage)
        if len(chunk.reports) == self.dev_size:
            self.done += 1
            self.reporter.trial_finished(self.done, self.total)
        return value


def _apply_decisions(run: Run, current: Program, *, config: OptimizeConfig,
                     labelset: LabelSet) -> Program:
    """Move the current version to the newest accepted (or edited) proposal."""
    version = run.accepted_version()
    if version != run.manifest["current_version"]:
        run.update_manifest(current_version=version)
        return _load_program(run, version, config=config, labelset=labelset)
    return current


def _score(program: Program, dataset: Dataset, labelset: LabelSet, *,
           usage: dict[str, int] | None = None) -> Evaluation:
    extractor = program.build_extractor()
    evaluation = evaluate(lambda reports: extractor.extract(reports), dataset,
                          labelset=_labelset_of(program, labelset))
    _count(usage, getattr(extractor, "usage_", None))
    return evaluation


def _model_failing(*evaluations: Evaluation) -> str | None:
    """A reason to stop when the model fails on half the reports (server down, wrong model,
    answers that never parse): scores of missing answers would mislead every proposal."""
    failures = [f for evaluation in evaluations for f in evaluation.failures]
    total = len(failures) + sum(len(e.predictions) for e in evaluations)
    if not failures:
        return None
    logger.warning("%d of %d report(s) got no usable answer", len(failures), total)
    if len(failures) * 2 < total:
        return None
    return (f"the model gave no usable answer for {len(failures)} of {total} reports "
            f"(first: {failures[0].reason})")


def _count(usage: dict[str, int] | None, spent: Any) -> None:
    """Add an LLM ``Usage`` (requests sent, tokens) to the loop's budget counters."""
    if usage is None or spent is None:
        return
    usage["requests"] = usage.get("requests", 0) + spent.requests
    usage["tokens"] = usage.get("tokens", 0) + spent.prompt_tokens + spent.completion_tokens


def _labelset_of(program: Program, fallback: LabelSet) -> LabelSet:
    return program.labelset if isinstance(program, RulesProgram) else fallback


def _candidates(run: Run, number: int, recipe: dict[str, Any], current: Program,
                labelset: LabelSet, experiment: Experiment, train_eval: Evaluation,
                targets: list[str], rejected: set[str],
                usage: dict[str, int]) -> list[Revision]:
    """The round's candidate revisions: read back if this round already proposed them."""
    path = run.path / "candidates" / f"round-{number:02d}.json"
    if path.is_file():
        return [Revision.from_json(r) for r in json.loads(path.read_text("utf-8"))]
    errors = analyse_errors(train_eval, experiment.split("train"),
                            labelset=_labelset_of(current, labelset), labels=targets)
    proposer = build_proposer(recipe, program=current)
    context = ProposalContext(program=current, labelset=labelset,
                              train=experiment.split("train"), train_evaluation=train_eval,
                              errors=errors, rejected=rejected)
    revisions = proposer.propose(context)
    _count(usage, getattr(proposer, "usage_", None))
    run.update_manifest(usage=usage)
    path.write_text(json.dumps([r.to_json() for r in revisions], indent=2) + "\n", "utf-8")
    return revisions


def _finish(run: Run, experiment: Experiment, labelset: LabelSet, current: Program,
            status: str, reason: str, *, config: OptimizeConfig, usage: dict[str, int],
            budget: _Budget) -> OptimizeOutcome:
    manifest = run.manifest
    if budget.spent_money(usage) or status == "failed":
        # Scoring the test split would send more requests than the budget allows, or to a
        # model that does not answer.
        why = ("the request or token budget is spent; resume with a larger budget to score "
               "the test split") if status != "failed" else reason
        run.update_manifest(status=status, reason=reason, current_version=current.hash,
                            usage=usage, test_skipped=why)
        return OptimizeOutcome(run, status, reason, rounds=run.rounds())
    initial = _load_program(run, manifest["initial_version"], config=config, labelset=labelset)
    test = experiment.split("test")
    initial_test = _score(initial, test, labelset, usage=usage).report
    final_test = _score(current, test, labelset, usage=usage).report
    run.update_manifest(usage=usage,
        status=status, reason=reason, current_version=current.hash,
        test_macro_f1_initial=initial_test.macro_f1, test_macro_f1_final=final_test.macro_f1,
        test_initial=initial_test.to_json(), test_final=final_test.to_json(),
    )
    try:
        from radprompt.optimizers.plots import plot_run

        plot_run(run)
    except ImportError as exc:
        logger.warning("no plots: %s", exc)
    return OptimizeOutcome(run, status, reason, initial_test=initial_test,
                           final_test=final_test, rounds=run.rounds())

