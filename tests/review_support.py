"""Shared pieces of the review / export tests: one small optimize run left awaiting review.

The run is built once per test session (about 5 s) and copied for each module that asks, so
modules can record decisions without seeing each other's.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from radprompt.llm import LLMRecipe
from radprompt.optimizers import OptimizeConfig, optimize
from radprompt.runs import Proposal, Run, ScoreSummary

_PRISTINE: list[Path] = []


def review_run(factory: pytest.TempPathFactory) -> Run:
    """A fresh copy of a run whose round-01 proposal waits for review."""
    if not _PRISTINE:
        outcome = optimize(OptimizeConfig(auto_approve=False, max_rounds=1, n_trials=6,
                                          minibatches=2),
                           runs_dir=factory.mktemp("pristine-runs"))
        assert outcome.status == "awaiting_review", outcome.reason
        _PRISTINE.append(outcome.run.path)
    target = factory.mktemp("runs") / _PRISTINE[0].name
    shutil.copytree(_PRISTINE[0], target)
    return Run.open(target)


def prompt_run(root: Path, recipe: LLMRecipe) -> tuple[Run, Any, Any]:
    """A prompt-optimization run (parent + one proposed guidance change, pending review),
    built directly from ``PromptProgram``s; returns the run, the parent and the child."""
    from radprompt.labelset import load_labelset
    from radprompt.optimizers.program import Revision
    from radprompt.optimizers.prompt_program import PromptProgram

    labelset = load_labelset("chestxray21")
    parent = PromptProgram.initial(labelset=labelset, recipe=recipe)
    child = parent.apply([Revision(kind="set_guidance", label_id="edema",
                                   value="Fluid in the lungs; 'vascular congestion' is not.")])
    child = child.with_settings({"temperature": 0.3})
    run = Run.create(root, name="prompt", config={
        "labelset": "chestxray21", "experiment": "demo", "extractor": "llm"})
    for program in (parent, child):
        program.save(run.path / "versions")
    run.update_manifest(initial_version=parent.hash, current_version=parent.hash)
    scores = {"n_reports": 1, "macro_f1": 0.5, "micro_f1": 0.5, "all_pass": False, "labels": []}
    run.write_proposal(Proposal(
        id="round-01", round=1, program_kind="prompt", parent=parent.hash,
        version=child.hash, diff="", settings={"temperature": 0.3}, rationale="",
        dev_before=ScoreSummary.from_json(scores), dev_after=ScoreSummary.from_json(scores)))
    return run, parent, child
