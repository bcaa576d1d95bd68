"""Optuna search over the discrete space of a round: which revisions to combine, and settings.

Each trial switches every candidate revision on or off and picks the searched settings (for the
rule engine: the cue scope in words; for a prompt: temperature and how many demos). It is
scored on dev in cumulative minibatches, reporting
macro-F1 after each so the median pruner can stop hopeless trials early. The study lives in the
run's SQLite file (``optuna-dashboard sqlite:///runs/<run>/optuna.db``); a resumed run continues
the same study and does not repeat finished trials.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from radprompt.errors import require
from radprompt.optimizers.program import Program, Revision
from radprompt.reports import Dataset
from radprompt.runs.scoring import ExtractionScore

__all__ = ["Candidate", "Guards", "SearchResult", "SearchSpace", "search", "settings_space"]

logger = logging.getLogger(__name__)

Scorer = Callable[[Program, Dataset], ExtractionScore]
Check = Callable[[Program, tuple[Revision, ...], dict[str, Any]], str | None]
Verify = Callable[[Program, ExtractionScore], str | None]


@dataclass(frozen=True)
class SearchSpace:
    revisions: tuple[Revision, ...]
    settings: dict[str, tuple[Any, ...]]
    """Searched settings and their choices; the first choice is the current value."""
    corners: tuple[frozenset[int], ...] = ()
    """More starting trials besides nothing and everything: the indices of the revisions
    switched on (e.g. every widening revision, the combination ``--auto-approve`` may take
    whole, which a narrowing revision that breaks a guard example would otherwise hide)."""


@dataclass(frozen=True)
class Candidate:
    """A finished trial's program: its revisions, settings and dev macro-F1."""

    program: Program
    chosen: tuple[Revision, ...]
    settings: dict[str, Any]
    value: float
    trial: int


@dataclass(frozen=True)
class SearchResult:
    program: Program
    chosen: tuple[Revision, ...]
    settings: dict[str, Any]
    value: float
    trials: int
    pruned: int
    rejected: int = 0
    """Trials discarded by a guard (examples or guard gold); their reasons are trial attrs."""
    ranked: tuple[Candidate, ...] = ()
    """Every completed trial, best first (ties: fewest changes)."""
    resumed_at: int | None = None
    """The trial number a resumed search continued at (None: it started afresh)."""


@dataclass(frozen=True)
class Guards:
    """What discards a trial: ``check`` before it is scored (guard examples), ``verify``
    after it is scored on the whole of dev (guard gold)."""

    check: Check = lambda program, chosen, settings: None
    verify: Verify = lambda program, evaluation: None


def _require_optuna() -> Any:
    return require("optuna", extra="optimize", needed_by="the optimizer's search")


def _sampler(optuna: Any, seed: int, finished: int) -> Any:
    """The sampler for the next trial, seeded by how many trials have finished: a resumed
    search draws what an uninterrupted one would have drawn."""
    return optuna.samplers.TPESampler(seed=seed * 100_003 + finished, multivariate=True)


def search(
    *,
    program: Program,
    space: SearchSpace,
    dev: Dataset,
    scorer: Scorer,
    storage: str,
    study_name: str,
    n_trials: int,
    minibatches: int = 4,
    seed: int = 0,
    should_stop: Callable[[], bool] = lambda: False,
    guards: Guards | None = None,
    on_trial: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Find the best combination of ``space`` on ``dev``, continuing a stored study if any.

    A trial ``guards`` discard is pruned with its reason in the ``rejected`` user attribute.
    ``on_trial(done, total)`` is told after each finished trial. The budget of ``n_trials``
    counts complete and pruned trials (Optuna's ``MaxTrialsCallback``); a trial a killed
    process left running is marked failed and drawn again (see ``_prepare``)."""
    optuna = _require_optuna()
    from optuna.study import MaxTrialsCallback
    from optuna.trial import TrialState

    guards = guards or Guards()
    finished_states = (TrialState.COMPLETE, TrialState.PRUNED)
    with _quiet(optuna):
        study = optuna.create_study(
            study_name=study_name, storage=storage, direction="maximize", load_if_exists=True,
            sampler=_sampler(optuna, seed, 0),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
        )

        def build(params: dict[str, Any]) -> tuple[Program, tuple[Revision, ...],
                                                    dict[str, Any]]:
            chosen = tuple(r for i, r in enumerate(space.revisions) if params.get(f"r{i}"))
            settings = {name: params[name] for name in space.settings if name in params}
            return program.apply(chosen).with_settings(settings), chosen, settings

        done, resumed_at = _prepare(study, space=space, states=finished_states)

        def after_trial(study: Any, trial: Any) -> None:
            finished = len(study.get_trials(deepcopy=False, states=finished_states))
            study.sampler = _sampler(optuna, seed, finished)
            _queue_next_corner(study, space=space, done=finished)
            if on_trial is not None:
                on_trial(min(finished, n_trials), n_trials)
            if should_stop():
                study.stop()

        if done < n_trials and not should_stop():
            study.sampler = _sampler(optuna, seed, done)
            objective = _objective(optuna, space=space, build=build, guards=guards,
                                   scorer=scorer, chunks=_minibatches(dev, minibatches))
            study.optimize(objective, callbacks=[
                MaxTrialsCallback(n_trials, states=finished_states), after_trial])
    return _result(study, program=program, space=space, build=build, resumed_at=resumed_at,
                   states=finished_states)


@contextmanager
def _quiet(optuna: Any) -> Iterator[None]:
    """Optuna's per-trial INFO lines off while searching, and its verbosity as it was after."""
    before = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    try:
        yield
    finally:
        optuna.logging.set_verbosity(before)


def _prepare(study: Any, *, space: SearchSpace, states: tuple[Any, ...]) -> tuple[int, int | None]:
    """Fail the trials a killed process left running and queue the next corner; return the
    finished trials so far and the trial a resumed search starts at.

    A failed trial is not queued again with the parameters it had stored: a process killed
    while they were being drawn stored only some. It is drawn again whole instead: a corner is
    queued by its place (``_queue_next_corner``), any other trial comes from the sampler seeded
    by the finished trials, which draws what it drew before."""
    from optuna.trial import TrialState

    for stale in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        study.tell(stale.number, state=TrialState.FAIL)
    done = len(study.get_trials(deepcopy=False, states=states))
    _queue_next_corner(study, space=space, done=done)
    return done, (done + 1 if done else None)


def _corners(space: SearchSpace) -> list[dict[str, Any]]:
    """The obvious trials a search starts from: nothing changed, everything switched on, and
    the space's own corners."""
    baseline = {name: choices[0] for name, choices in space.settings.items()}
    everything = frozenset(range(len(space.revisions)))
    switched = [corner for corner in dict.fromkeys(
        (everything, *space.corners) if space.revisions else ()) if corner]
    return [{**{f"r{i}": i in corner for i in everything}, **baseline}
            for corner in (frozenset(), *switched)]


def _queue_next_corner(study: Any, *, space: SearchSpace, done: int) -> None:
    """Queue corner number ``done`` when no trial waits. One at a time and by place, so that a
    corner a killed process left unfinished runs again before the corners after it, as in an
    uninterrupted search (the median pruner's decision depends on what finished before)."""
    from optuna.trial import TrialState

    corners = _corners(space)
    if done < len(corners) and not study.get_trials(deepcopy=False,
                                                    states=(TrialState.WAITING,)):
        study.enqueue_trial(corners[done])


def _objective(optuna: Any, *, space: SearchSpace, build: Callable[..., Any], guards: Guards,
               scorer: Scorer, chunks: list[Dataset]) -> Callable[[Any], float]:
    """Optuna's objective: dev macro-F1 over growing minibatches, pruned on the way."""

    def objective(trial: Any) -> float:
        params: dict[str, Any] = {}
        for i, revision in enumerate(space.revisions):
            params[f"r{i}"] = trial.suggest_categorical(f"r{i}", [False, True])
            trial.set_user_attr(f"r{i}", revision.describe())
        for name, choices in space.settings.items():
            params[name] = trial.suggest_categorical(name, list(choices))
        candidate, chosen, settings = build(params)
        if reason := guards.check(candidate, chosen, settings):
            trial.set_user_attr("rejected", reason)
            raise optuna.TrialPruned(reason)
        value = 0.0
        for step, chunk in enumerate(chunks):
            evaluation = scorer(candidate, chunk)
            value = evaluation.report.macro_f1
            trial.report(value, step)
            if step < len(chunks) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
            if step == len(chunks) - 1 and (reason := guards.verify(candidate, evaluation)):
                trial.set_user_attr("rejected", reason)
                raise optuna.TrialPruned(reason)
        return value

    return objective


def _result(study: Any, *, program: Program, space: SearchSpace,
            build: Callable[[dict[str, Any]], tuple[Program, tuple[Revision, ...],
                                                    dict[str, Any]]],
            resumed_at: int | None, states: tuple[Any, ...]) -> SearchResult:
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False, states=states)
    pruned = sum(t.state == TrialState.PRUNED for t in trials)
    rejected = sum("rejected" in t.user_attrs for t in trials)
    completed = [t for t in trials if t.state == TrialState.COMPLETE]

    def order(t: Any) -> tuple[float, int, int, str]:
        # Among equally good trials prefer the fewest changes (easier to review): revisions
        # switched on, then settings moved off their current value.
        moved = sum(t.params.get(name, choices[0]) != choices[0]
                    for name, choices in space.settings.items())
        switched = sum(bool(t.params.get(f"r{i}")) for i in range(len(space.revisions)))
        return (-float(t.value), switched, moved, json.dumps(t.params, sort_keys=True))

    ranked = []
    for trial in sorted(completed, key=order):
        built, chosen, settings = build(trial.params)
        ranked.append(Candidate(program=built, chosen=chosen, settings=settings,
                                value=float(trial.value), trial=trial.number))
    logger.info("round search %s: %d trials, %d pruned (%d rejected by guards)",
                study.study_name, len(trials), pruned, rejected)
    if not ranked:
        return SearchResult(program=program, chosen=(), settings={}, value=float("-inf"),
                            trials=len(trials), pruned=pruned, rejected=rejected,
                            resumed_at=resumed_at)
    best = ranked[0]
    return SearchResult(program=best.program, chosen=best.chosen, settings=best.settings,
                        value=best.value, trials=len(trials), pruned=pruned, rejected=rejected,
                        ranked=tuple(ranked), resumed_at=resumed_at)


def _minibatches(dataset: Dataset, count: int) -> list[Dataset]:
    """Cumulative slices of ``dataset``: the last one is the whole split."""
    reports = dataset.reports
    count = max(1, min(count, len(reports)))
    slices = []
    for i in range(1, count + 1):
        part = reports[: round(len(reports) * i / count)]
        slices.append(Dataset(path=dataset.path, reports=part,
                              references={r.id: dataset.references[r.id] for r in part
                                          if r.id in dataset.references},
                              covered_labels=dataset.covered_labels))
    return slices


def settings_space(program: Program) -> dict[str, tuple[Any, ...]]:
    """The settings a program exposes to the search, current value first
    (``Program.settings_space``)."""
    return program.settings_space()
