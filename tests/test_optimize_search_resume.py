"""A search a killed process left behind resumes as the search it would have been.

The study is the run's SQLite file; a process killed (SIGKILL, no clean-up) in the middle of a
trial leaves it running, with the next corners possibly queued and, while its parameters were
being drawn, only some of them stored. Resumed, the
trials must finish in the order of an uninterrupted search with the same parameters and
outcomes: the median pruner and the seeded sampler both depend on what finished before.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from radprompt.optimizers.program import Revision
from radprompt.optimizers.search import SearchSpace, search
from radprompt.reports import Dataset, Report

pytest.importorskip("optuna")

class _Revision(Revision):
    """A revision whose description (written into the trial as its parameters are drawn) can
    kill the process: at the ``_DIE_AT[0]``-th description."""

    def describe(self) -> str:
        _DESCRIBED[0] += 1
        if _DESCRIBED[0] == _DIE_AT[0]:
            os._exit(9)  # as SIGKILL, with some of the trial's parameters stored
        return super().describe()


_DESCRIBED = [0]
_DIE_AT = [0]
REVISIONS = tuple(_Revision(kind="add_phrase", label_id=f"label_{i}", value=f"phrase {i}")
                  for i in range(4))
SPACE = SearchSpace(revisions=REVISIONS, settings={},
                    corners=(frozenset({0}), frozenset({1}), frozenset({2})))
DEV = Dataset(path=Path("dev.jsonl"), reports=[Report(f"r{i}", "text") for i in range(8)])
KILL_AT = "label_0"
"""The scorer of the killed process dies when it first scores a program with this revision:
the third starting corner, with two more corners after it."""


@dataclass(frozen=True)
class _Program:
    """The part of a Program the search uses: revisions applied, settings set."""

    labels: frozenset[str] = frozenset()

    def apply(self, chosen: tuple[Revision, ...]) -> _Program:
        return _Program(self.labels | {str(r.label_id) for r in chosen})

    def with_settings(self, settings: dict[str, Any]) -> _Program:
        return self


def _score(program: _Program, chunk: Dataset) -> Any:
    """Macro-F1 from the revisions switched on, lower on the first minibatches (so the median
    pruner has something to decide)."""
    value = (len(program.labels) * 0.1 + 0.05 * ("label_3" in program.labels)
             - 0.02 * (8 - len(chunk.reports)))
    return SimpleNamespace(report=SimpleNamespace(macro_f1=value))


def _dying_score(program: _Program, chunk: Dataset) -> Any:
    if program.labels == {KILL_AT}:
        os._exit(9)  # as SIGKILL: no Optuna clean-up, the trial stays RUNNING
    return _score(program, chunk)


def _search(storage: Path, scorer: Any) -> Any:
    return search(program=_Program(), space=SPACE, dev=DEV, scorer=scorer,  # type: ignore[arg-type]
                  storage=f"sqlite:///{storage}", study_name="round-1", n_trials=9,
                  minibatches=4, seed=3)


def _finished(storage: Path) -> list[tuple[dict[str, Any], str]]:
    import optuna
    from optuna.trial import TrialState

    study = optuna.load_study(study_name="round-1", storage=f"sqlite:///{storage}")
    trials = [t for t in study.get_trials(deepcopy=False)
              if t.state in (TrialState.COMPLETE, TrialState.PRUNED)]
    return [(t.params, t.state.name) for t in sorted(trials, key=lambda t: t.datetime_complete)]


def _search_dying_while_drawing(storage: Path) -> None:
    # five corners of four revisions each are described first; the first drawn trial dies
    # after its second parameter
    _DESCRIBED[0], _DIE_AT[0] = 0, 5 * len(REVISIONS) + 2
    _search(storage, _score)


@pytest.mark.parametrize("dies", ["scoring a corner", "drawing a trial's parameters"])
def test_a_trial_killed_mid_way_is_retried_in_its_place(tmp_path: Path, dies: str) -> None:
    killed = tmp_path / "killed.db"
    target, args = ((_search, (killed, _dying_score)) if dies == "scoring a corner"
                    else (_search_dying_while_drawing, (killed,)))
    process = multiprocessing.get_context("fork").Process(target=target, args=args)
    process.start()
    process.join(timeout=120)
    assert process.exitcode == 9
    resumed = _search(killed, _score)
    assert resumed.resumed_at is not None

    whole = tmp_path / "whole.db"
    _search(whole, _score)
    assert _finished(killed) == _finished(whole)
    assert len(_finished(whole)) == 9
