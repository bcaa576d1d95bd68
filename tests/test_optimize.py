"""The optimize loop on the demo corpus with the rule engine: rounds, review, resume, budgets."""

from __future__ import annotations

import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from radprompt.experiments import load_experiment
from radprompt.findings import Finding, Findings, State
from radprompt.labelset import load_labelset
from radprompt.optimizers import Decision, OptimizeConfig, RulesProgram, Run, optimize, resume
from radprompt.optimizers.analysis import Cause, analyse_errors
from radprompt.optimizers.program import Revision
from radprompt.optimizers.proposers.base import ProposalContext
from radprompt.optimizers.proposers.lexical import LexicalMiner
from radprompt.reports import Dataset, Report
from radprompt.runs import score_extraction

FAST = {"n_trials": 8, "minibatches": 2}


@pytest.fixture(scope="module")
def auto_run(tmp_path_factory):
    runs = tmp_path_factory.mktemp("runs")
    return optimize(OptimizeConfig(max_rounds=4, **FAST), runs_dir=runs)


def test_main_job_raises_dev_macro_f1_round_by_round(auto_run):
    rounds = auto_run.rounds
    assert rounds, "at least one round ran"
    improving = [r for r in rounds if r.proposal]
    assert improving
    for record in improving:
        assert record.dev_macro_f1 > record.dev_macro_f1_before
    run = auto_run.run
    for previous, following in itertools.pairwise(rounds):
        accepted = previous.proposal and run.status_of(previous.proposal) == "accepted"
        # the next round starts where an accepted proposal left dev; a parked one changes
        # nothing until a reviewer accepts it
        expected = previous.dev_macro_f1 if accepted else previous.dev_macro_f1_before
        assert following.dev_macro_f1_before == pytest.approx(expected)
    # --auto-approve (the rule engine's default) accepts widening and setting changes; a
    # narrowing proposal is left for a reviewer
    assert auto_run.status in ("finished", "awaiting_review")
    assert (auto_run.status == "awaiting_review") == bool(run.pending())
    # the run says why it stopped: the thresholds hold, no further gain, the rounds ran out,
    # or the failing labels wait for a reviewer; and it names every proposal left to review
    reason = auto_run.reason
    assert run.manifest.reason == reason
    assert reason.startswith(("4 round(s) done", "every label with enough support",
                              "no proposal", "the failing labels wait", "proposal ")), reason
    for proposal in run.pending():
        assert f"proposal {proposal.id} waits for review" in reason


def test_main_job_reports_test_before_and_after(auto_run):
    manifest = auto_run.run.manifest
    assert manifest.test_macro_f1_initial == pytest.approx(auto_run.initial_test.macro_f1)
    assert manifest.test_macro_f1_final == pytest.approx(auto_run.final_test.macro_f1)
    assert auto_run.final_test.macro_f1 >= auto_run.initial_test.macro_f1 - 0.02
    plots = {p.name for p in (auto_run.run.path / "plots").glob("*.png")}
    assert plots == {"per_label_f1.png", "macro_f1_by_round.png", "transfer.png"}


def test_every_accepted_proposal_is_recorded_as_automatic(auto_run):
    run = auto_run.run
    decisions = run.decisions()
    waiting = {p.id for p in run.pending()}
    assert [d.proposal_id for d in decisions] == [p.id for p in run.proposals()
                                                  if p.id not in waiting]
    assert all(d.automatic and d.decision == "accepted" for d in decisions)
    for proposal in run.proposals():
        narrowing = any(c.change_class == "narrowing" for c in proposal.changes)
        assert narrowing == (proposal.id in waiting)  # only narrowing ones wait
    final = run.version_path(run.manifest.current_version)
    assert load_labelset(final).name == "chestxray21"  # an optimized labelset loads as is
    proposal = run.proposals()[0]
    assert proposal.diff.startswith("--- version ")
    assert proposal.fixes, "a proposal that raises dev F1 fixes some reports"


def test_review_mode_waits_then_resume_applies_the_decision(tmp_path):
    outcome = optimize(OptimizeConfig(auto_approve=False, max_rounds=2, **FAST),
                       runs_dir=tmp_path)
    assert outcome.status == "awaiting_review"
    run = outcome.run
    [pending] = run.pending()
    assert run.manifest.current_version == run.manifest.initial_version
    run.record_decision(Decision(pending.id, "rejected", reviewer="Dr Test",
                                 comment="too broad"))
    again = resume(run.path)
    # the rejected revisions are never proposed again
    rejected = set(pending.revision_keys)
    for proposal in again.run.proposals()[1:]:
        assert not rejected & set(proposal.revision_keys)
    assert again.run.status_of(pending.id) == "rejected"


def test_accepted_proposal_becomes_the_current_version(tmp_path):
    outcome = optimize(OptimizeConfig(auto_approve=False, max_rounds=1, **FAST),
                       runs_dir=tmp_path)
    [pending] = outcome.run.pending()
    outcome.run.record_decision(Decision(pending.id, "accepted", reviewer="Dr Test",
                                         version=pending.version))
    finished = resume(outcome.run.path)
    assert finished.status == "finished"
    assert finished.run.manifest.current_version == pending.version


def test_budgets_are_respected(tmp_path):
    one = optimize(OptimizeConfig(max_rounds=1, **FAST), runs_dir=tmp_path)
    assert len(one.rounds) == 1
    assert one.reason.startswith((
        "1 round(s) done", "every label with enough support clears its threshold on dev",
        "no proposal improves dev macro-F1", "no proposal beats its parent on dev"))
    none = optimize(OptimizeConfig(time_limit=0, **FAST), runs_dir=tmp_path)
    assert none.rounds == []
    assert none.reason == "time limit of 0 s reached"


def _finished_trials(db: Path) -> list[tuple[int, float]]:
    if not db.exists():
        return []
    try:
        with sqlite3.connect(db) as connection:
            return connection.execute(
                "SELECT t.number, v.value FROM trials t JOIN trial_values v USING (trial_id) "
                "WHERE t.state = 'COMPLETE' ORDER BY t.number").fetchall()
    except sqlite3.OperationalError:
        return []


def _states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as connection:
        return dict(connection.execute(
            "SELECT state, COUNT(*) FROM trials GROUP BY state").fetchall())


KILL_TRIALS = ["--trials", "8", "--max-rounds", "1", "--labels-per-round", "1",
               "--auto-approve", "all", "--seed", "3"]


@pytest.mark.timeout(900)
def test_kill_9_then_resume_is_the_same_run_as_an_uninterrupted_one(tmp_path):
    from typer.testing import CliRunner

    from radprompt.cli import app

    env = {**os.environ, "COLUMNS": "120"}
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        [sys.executable, "-m", "radprompt.cli", "optimize", "--runs-dir", str(killed),
         *KILL_TRIALS], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 300
        db = None
        while time.monotonic() < deadline:
            runs = list(killed.glob("*/optuna.db"))
            if runs and len(_finished_trials(runs[0])) >= 3:
                db = runs[0]
                break
            time.sleep(0.1)
        assert db is not None, "the run never got three trials in"
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    before = _finished_trials(db)
    runner = CliRunner()
    resumed = runner.invoke(app, ["optimize", "--resume", str(db.parent)])
    assert resumed.exit_code == 0, resumed.output
    assert "resumed round 1 at trial" in resumed.output
    after = _finished_trials(db)
    assert after[: len(before)] == before  # nothing finished was redone or lost
    states = _states(db)
    assert "RUNNING" not in states
    assert states.get("COMPLETE", 0) + states.get("PRUNED", 0) == 8

    whole = runner.invoke(app, ["optimize", "--runs-dir", str(tmp_path / "whole"),
                                *KILL_TRIALS])
    assert whole.exit_code == 0, whole.output
    [uninterrupted] = [Run(p) for p in (tmp_path / "whole").iterdir()]
    assert _states(uninterrupted.path / "optuna.db") == {
        k: v for k, v in states.items() if k != "FAIL"}
    assert ([p.version for p in Run(db.parent).proposals()]
            == [p.version for p in uninterrupted.proposals()])


def test_a_second_resume_of_a_run_in_use_says_who_holds_it(auto_run):
    from typer.testing import CliRunner

    from radprompt.cli import app

    run = Run(auto_run.run.path)
    with run.lock():
        result = CliRunner().invoke(app, ["optimize", "--resume", str(run.path)])
        assert result.exit_code != 0
        assert f"process {os.getpid()}" in result.output and "since" in result.output
        shown = CliRunner().invoke(app, ["runs", "show", str(run.path)])
        assert "in use by process" in shown.output
    assert run.holder() is None


def test_lexical_miner_proposes_the_missed_synonym(mini_labelset):
    texts = {
        "p1": "Blunting of the costophrenic angle on the left.",
        "p2": "Right costophrenic angle blunting.",
        "p3": "Mild blunting of the costophrenic angle.",
        "n1": "The costophrenic angles are sharp and clear.",
        "n2": "No pneumothorax.",
    }
    positives = {"p1", "p2", "p3"}
    train = Dataset(
        path=Path("train"),
        reports=[Report(id=i, text=t) for i, t in texts.items()],
        references={i: Findings(i, {"pleural_effusion": Finding(State.PRESENT)} if i in
                                positives else {}) for i in texts},
    )
    program = RulesProgram(labelset=mini_labelset)
    extractor = program.build_extractor()
    evaluation = score_extraction(lambda reports: extractor.extract(reports), train,
                                  labelset=mini_labelset)
    errors = analyse_errors(evaluation, train, labelset=mini_labelset,
                            labels=["pleural_effusion"])
    assert errors["pleural_effusion"].causes[Cause.MISSED_SYNONYM] == 3
    revisions = LexicalMiner().propose(ProposalContext(
        program=program, labelset=mini_labelset, train=train, train_evaluation=evaluation,
        errors=errors))
    phrases = [r.value for r in revisions if r.kind == "add_phrase"]
    assert phrases and "blunting" in phrases[0]
    assert revisions[0].gain > 0
    improved = program.apply([revisions[0]]).build_extractor()
    assert all(improved.extract_report(Report(i, texts[i])).state("pleural_effusion")
               is State.PRESENT for i in positives)


def test_rules_program_round_trips_through_its_yaml(tmp_path, chestxray21):
    program = RulesProgram(labelset=chestxray21)
    path = program.save(tmp_path)
    assert RulesProgram.load(path).hash == program.hash
    child = program.apply([Revision(kind="add_exclusion", label_id="edema",
                                    value="edema of the legs")])
    assert child.hash != program.hash
    assert "edema of the legs" in child.labelset.get("edema").exclusions
    assert "edema of the legs" not in chestxray21.get("edema").exclusions  # never in place


def test_experiment_splits_are_fixed():
    experiment = load_experiment("demo")
    sizes = {name: len(split.reports) for name, split in experiment.splits.items()}
    assert sizes == {"train": 420, "dev": 140, "test": 140}
    ids = [set(r.id for r in split.reports) for split in experiment.splits.values()]
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def test_runs_cli_lists_and_shows(auto_run):
    from typer.testing import CliRunner

    from radprompt.cli import app

    runner = CliRunner()
    listed = runner.invoke(app, ["runs", "list", "--runs-dir", str(auto_run.run.path.parent)])
    assert listed.exit_code == 0
    assert auto_run.run.path.name in listed.output
    shown = runner.invoke(app, ["runs", "show", str(auto_run.run.path)])
    assert shown.exit_code == 0
    assert "round-01" in shown.output
    assert "optuna-dashboard sqlite:///" in shown.output


def test_run_directory_refuses_to_overwrite_a_proposal(auto_run):
    proposal = auto_run.run.proposals()[0]
    with pytest.raises(FileExistsError):
        Run(auto_run.run.path).write_proposal(proposal)
