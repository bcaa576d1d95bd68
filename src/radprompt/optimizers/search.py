"""Optuna search over the discrete space of a round: which revisions to combine, and settings.

Each trial switches every candidate revision on or off and picks the searched settings (for the
rule engine: the cue scope in words; for a prompt: temperature and how many demos). It is
scored on dev in cumulative minibatches, reporting
macro-F1 after each so the median pruner can stop hopeless trials early. The study lives in the
run's SQLite file (``optuna-dashboard sqlite:///runs/<run>/optuna.db``); a resumed run continues
the same study and does not repeat finished trials.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from radprompt.optimizers.program import Program, Revision
from radprompt.reports import Dataset

__all__ = ["SearchResult", "SearchSpace", "search"]

logger = logging.getLogger(__name__)

Scorer = Callable[[Program, Dataset], float]


@dataclass(frozen=True)
class SearchSpace:
    revisions: tuple[Revision, ...]
    settings: dict[str, tuple[Any, ...]]
    """Searched settings and their choices; the first choice is the current value."""


@dataclass(frozen=True)
class SearchResult:
    program: Program
    chosen: tuple[Revision, ...]
    settings: dict[str, Any]
    value: float
    trials: int
    pruned: int


def _require_optuna() -> Any:
    try:
        import optuna
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the optimizer's search needs optuna: pip install 'radprompt[optimize]'"
        ) from exc
    return optuna


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
) -> SearchResult:
    """Find the best combination of ``space`` on ``dev``, continuing a stored study if any."""
    optuna = _require_optuna()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        study_name=study_name,
        storage=storage,
        direction="maximize",
        load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    chunks = _minibatches(dev, minibatches)

    def build(params: dict[str, Any]) -> tuple[Program, tuple[Revision, ...], dict[str, Any]]:
        chosen = tuple(r for i, r in enumerate(space.revisions) if params.get(f"r{i}", False))
        settings = {name: params[name] for name in space.settings if name in params}
        return program.apply(chosen).with_settings(settings), chosen, settings

    def objective(trial: Any) -> float:
        params: dict[str, Any] = {}
        for i, revision in enumerate(space.revisions):
            params[f"r{i}"] = trial.suggest_categorical(f"r{i}", [False, True])
            trial.set_user_attr(f"r{i}", revision.describe())
        for name, choices in space.settings.items():
            params[name] = trial.suggest_categorical(name, list(choices))
        candidate, _, _ = build(params)
        value = 0.0
        for step, chunk in enumerate(chunks):
            value = scorer(candidate, chunk)
            trial.report(value, step)
            if step < len(chunks) - 1 and trial.should_prune():
                raise optuna.TrialPruned()
        return value

    finished = [t for t in study.trials if t.state.is_finished()]
    if not study.trials:
        # Start from the two obvious corners: nothing changed, and everything switched on.
        baseline = {name: choices[0] for name, choices in space.settings.items()}
        study.enqueue_trial({**{f"r{i}": False for i in range(len(space.revisions))}, **baseline})
        if space.revisions:
            study.enqueue_trial({**{f"r{i}": True for i in range(len(space.revisions))},
                                 **baseline})
    remaining = max(0, n_trials - len(finished))

    def stop_when_asked(study: Any, trial: Any) -> None:
        if should_stop():
            study.stop()

    if remaining:
        study.optimize(objective, n_trials=remaining, callbacks=[stop_when_asked])
    completed = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not completed:
        return SearchResult(program=program, chosen=(), settings={}, value=float("-inf"),
                            trials=len(study.trials), pruned=0)
    # Among equally good trials prefer the one with the fewest changes (easier to review):
    # revisions switched on, then settings moved off their current value.
    best = max(completed, key=lambda t: (t.value, -sum(
        bool(t.params.get(f"r{i}")) for i in range(len(space.revisions))), -sum(
        t.params.get(name, choices[0]) != choices[0]
        for name, choices in space.settings.items()), -t.number))
    best_program, chosen, settings = build(best.params)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    logger.info("round search %s: %d trials, %d pruned, best %.4f", study_name,
                len(study.trials), pruned, best.value)
    return SearchResult(program=best_program, chosen=chosen, settings=settings,
                        value=float(best.value), trials=len(study.trials), pruned=pruned)


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


TEMPERATURES = (0.0, 0.3, 0.7)
DEMO_LIMITS = (0, 1, 2, 4, 8)


def settings_space(program: Program) -> dict[str, tuple[Any, ...]]:
    """The settings a program kind exposes to the search (current value first).

    Rule engine: the cue scope in words. Prompt: the decoding temperature, and at most how
    many few-shot demos to keep (``None``: all those the chosen revisions leave), which with
    the ``set_demos`` revisions searches the number and the choice of demos.
    """
    from radprompt.optimizers.program import RulesProgram
    from radprompt.optimizers.prompt_program import PromptProgram

    if isinstance(program, RulesProgram):
        current = program.labelset.cues.scope_tokens
        others = [v for v in (4, 6, 8, 10, 12, 14, 16, 20) if v != current]
        return {"scope_tokens": (current, *others)}
    if isinstance(program, PromptProgram):
        temperature = program.recipe.temperature
        return {"temperature": (temperature, *(t for t in TEMPERATURES if t != temperature)),
                "max_demos": (None, *DEMO_LIMITS)}
    return {}
