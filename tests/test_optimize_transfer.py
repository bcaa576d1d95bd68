"""Optimization that transfers (issue 12): change classes and auto-approve, guard examples and
guard gold in the search, no gains from noise, the transfer report.

Each test builds a small SYNTHETIC experiment (sentences written for these tests) and, where it
needs a label to go wrong, a labelset copy with one planted mistake: "cardiomegaly" as a Lung
Opacity phrase. The rule engine then calls "Cardiomegaly." a lung opacity, and the only cure
the lexical miner can offer is a narrowing change (remove the phrase).
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.guards import check_guard_examples
from radprompt.labelset import load_labelset
from radprompt.optimizers import OptimizeConfig, Run, optimize
from radprompt.optimizers.program import RulesProgram, labelset_yaml
from radprompt.reports import read_dataset, write_findings

REPO = Path(__file__).resolve().parents[1]
FAST = {"max_rounds": 1, "n_trials": 5, "minibatches": 1, "labels_per_round": 1}

# A small SYNTHETIC corpus written for these tests: (sentence, {label: state}).
SENTENCES = (
    ("Cardiomegaly.", {"cardiomegaly": "present"}),
    ("Patchy opacity in the left lower lobe.", {"lung_opacity": "present"}),
    ("No pneumothorax.", {"pneumothorax": "absent"}),
    ("No pleural effusion.", {"pleural_effusion": "absent"}),
    ("Small right pleural effusion.", {"pleural_effusion": "present"}),
)
PATTERNS = ((0, 2), (1, 3), (2, 3), (0, 1, 2), (4,), (1, 2), (3,), (0, 3))


def _report(number: int, sentences: tuple[int, ...]) -> dict[str, object]:
    labels: dict[str, str] = {}
    for index in sentences:
        labels.update(SENTENCES[index][1])
    positive = any(state == "present" for state in labels.values())
    labels["no_finding"] = "absent" if positive else "present"
    text = "FINDINGS: " + " ".join(SENTENCES[i][0] for i in sentences)
    return {"id": f"synthetic-{number:04d}", "text": text, "labels": labels, "synthetic": True}


def _noise_level_dev() -> list[dict[str, object]]:
    """A dev split of ten reports, two of them with the planted mistake."""
    return [_report(500 + n, pattern) for n, pattern in
            enumerate([(0,), (1,), (1, 2), (1, 3), (0, 2), (1,), (1, 2), (3,), (4,), (2, 3)])]


def _write(path: Path, reports: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    return path


def _experiment(tmp_path: Path, *, guards: dict[str, str] | None = None,
                dev: list[dict[str, object]] | None = None) -> Path:
    """A synthetic experiment: 96 train, 48 dev (or ``dev``), 24 test reports."""
    folder = tmp_path / "experiment"
    folder.mkdir(exist_ok=True)
    reports = [_report(n, PATTERNS[n % len(PATTERNS)]) for n in range(168)]
    _write(folder / "train.jsonl", reports[:96])
    _write(folder / "dev.jsonl", dev if dev is not None else reports[96:144])
    _write(folder / "test.jsonl", reports[144:])
    config: dict[str, object] = {
        "name": "synthetic", "labelset": "chestxray21", "synthetic": True,
        "splits": {"train": "train.jsonl", "dev": "dev.jsonl", "test": "test.jsonl"}}
    if guards:
        config["guards"] = guards
    path = folder / "synthetic.yaml"
    path.write_text(yaml.safe_dump(config), "utf-8")
    return path


def _planted_labelset(tmp_path: Path, *, extra_examples: list[dict[str, str]] | None = None,
                      drop: tuple[str, ...] = (), add: tuple[str, ...] = ("cardiomegaly",)
                      ) -> Path:
    """chestxray21 with a planted mistake in Lung Opacity's phrases."""
    # the labelset with its guard examples inline (self-contained, like an optimized version)
    data = yaml.safe_load(labelset_yaml(load_labelset("chestxray21")))
    for label in data["labels"]:
        if label["id"] == "lung_opacity":
            label["phrases"] = [p for p in label["phrases"] if p not in drop] + list(add)
            label["synonyms"] = [s for s in label.get("synonyms", []) if s not in drop]
            label["examples"] = [*label.get("examples", []), *(extra_examples or [])]
    path = tmp_path / "chestxray21.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def _recipe(tmp_path: Path, **transfer: object) -> Path:
    data = yaml.safe_load((REPO / "optimizers" / "error_driven.yaml").read_text("utf-8"))
    data["transfer"] = {**data.get("transfer", {}), **transfer}
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    return path


def _rejections(run: Run) -> list[str]:
    with sqlite3.connect(run.path / "optuna.db") as db:
        return [json.loads(v) for (v,) in db.execute(
            "SELECT value_json FROM trial_user_attributes WHERE key = 'rejected'")]


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """One run of the planted mistake under the default --auto-approve (safe)."""
    tmp = tmp_path_factory.mktemp("planted")
    config = OptimizeConfig(labelset=str(_planted_labelset(tmp)),
                            experiment=str(_experiment(tmp)), auto_approve=True, **FAST)
    return optimize(config, runs_dir=tmp / "runs")


def test_narrowing_change_waits_for_a_reviewer_and_says_why(planted):
    assert planted.status == "awaiting_review"
    assert "narrows" in planted.reason and "lung_opacity" in planted.reason
    [proposal] = planted.run.pending()
    classes = {c.change_class for c in proposal.changes}
    assert "narrowing" in classes
    assert proposal.needs_review
    assert planted.run.decisions() == []  # nothing was accepted automatically


def test_review_shows_the_class_of_each_change(planted):
    result = CliRunner().invoke(app, ["review", str(planted.run.path), "round-01"])
    assert result.exit_code == 0, result.output
    assert "narrowing" in result.output
    assert "waits for a reviewer" in result.output
    assert "guard examples:" in result.output


def test_auto_approve_all_accepts_narrowing_and_says_so_in_the_audit_log(tmp_path):
    result = CliRunner().invoke(app, [
        "optimize", "--labelset", str(_planted_labelset(tmp_path)),
        "--experiment", str(_experiment(tmp_path)), "--auto-approve", "all",
        "--max-rounds", "1", "--trials", "5", "--labels-per-round", "1",
        "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    [run] = [Run(p) for p in (tmp_path / "runs").iterdir()]
    [decision] = run.decisions()
    assert decision.automatic and decision.reviewer == "auto-approve all"
    assert "--auto-approve all" in decision.comment
    assert run.manifest.config["auto_approve"] == "all"


def test_a_candidate_that_breaks_a_guard_example_never_becomes_a_proposal(tmp_path):
    # Lung Opacity loses its words 'opacity' / 'opacities': the miner wants a phrase that finds
    # "Patchy opacity ..." again. A guard example (planted for this test) says that very
    # sentence must not fire, so every candidate that fixes it is discarded during the search.
    sentence = SENTENCES[1][0]
    labelset = _planted_labelset(tmp_path, drop=("opacity", "opacities"), add=(),
                                 extra_examples=[{"text": sentence, "state": "not_mentioned",
                                                  "note": "planted by the test"}])
    outcome = optimize(OptimizeConfig(labelset=str(labelset),
                                      experiment=str(_experiment(tmp_path)),
                                      auto_approve="all", **{**FAST, "n_trials": 6}),
                       runs_dir=tmp_path / "runs")
    run = outcome.run
    assert any(sentence in reason for reason in _rejections(run)), _rejections(run)
    for proposal in run.proposals():
        version = RulesProgram.load(run.version_path(proposal.version)).labelset
        report = check_guard_examples(version, RulesProgram(labelset=version).build_extractor(),
                                      labels=["lung_opacity"])
        assert sentence not in {f.text for f in report.failures}
        assert proposal.guard_examples is not None and proposal.guard_examples.broken == ()
    final = load_labelset(run.version_path(run.manifest.current_version))
    report = check_guard_examples(final, RulesProgram(labelset=final).build_extractor(),
                                  labels=["lung_opacity"])
    assert sentence not in {f.text for f in report.failures}


def test_a_drop_on_guard_gold_is_rejected(tmp_path):
    # The guard gold agrees with the planted mistake (it is the mistaken labelset's own output):
    # removing 'cardiomegaly' raises the target's F1 but lowers the guard's, so it is rejected.
    labelset_path = _planted_labelset(tmp_path)
    labelset = load_labelset(labelset_path)
    experiment = _experiment(tmp_path, guards={"mistaken": "guard.jsonl"})
    extractor = RulesProgram(labelset=labelset).build_extractor()
    findings = []
    for split in ("train", "dev", "test"):
        data = read_dataset(experiment.parent / f"{split}.jsonl", labelset=labelset)
        findings += extractor.extract(data.reports)
    write_findings(experiment.parent / "guard.jsonl", findings, labelset=labelset)
    outcome = optimize(OptimizeConfig(labelset=str(labelset_path), experiment=str(experiment),
                                      auto_approve="all", **FAST), runs_dir=tmp_path / "runs")
    run = outcome.run
    reasons = _rejections(run)
    assert any("guard gold" in reason and "mistaken" in reason for reason in reasons), reasons
    for proposal in run.proposals():
        for values in proposal.guard_gold.values():
            assert values.after >= values.before - 0.005
    final = load_labelset(run.version_path(run.manifest.current_version))
    assert "cardiomegaly" in final.get("lung_opacity").phrases
    transfer = run.manifest.transfer
    assert set(transfer["macro_f1"]["test"]) == {"target", "mistaken"}


def test_a_label_with_too_little_support_cannot_narrow(tmp_path):
    recipe = _recipe(tmp_path, narrowing_min_support=1000)
    outcome = optimize(OptimizeConfig(labelset=str(_planted_labelset(tmp_path)),
                                      experiment=str(_experiment(tmp_path)),
                                      optimizer=str(recipe), auto_approve="all", **FAST),
                       runs_dir=tmp_path / "runs")
    for proposal in outcome.run.proposals():
        assert all(c.change_class != "narrowing" for c in proposal.changes)
    candidates = json.loads((outcome.run.path / "candidates" / "round-01.json").read_text())
    assert all(c["kind"] not in ("remove_phrase", "add_exclusion") for c in candidates)


def test_a_noise_level_gain_is_not_proposed(tmp_path):
    # A dev split of ten reports, two with the planted mistake: fixing them is a real gain on
    # those reports (Lung Opacity F1 0.83 -> 1.0), but ten reports cannot tell it from noise.
    dev = _noise_level_dev()
    outcome = optimize(OptimizeConfig(labelset=str(_planted_labelset(tmp_path)),
                                      experiment=str(_experiment(tmp_path, dev=dev)),
                                      optimizer=str(_recipe(tmp_path, narrowing_min_support=0)),
                                      auto_approve="all", **FAST), runs_dir=tmp_path / "runs")
    assert outcome.run.proposals() == []
    assert outcome.status == "finished"
    assert "beyond noise" in outcome.reason, outcome.reason
    [record] = outcome.rounds
    assert "p=" in record.note


def test_a_round_that_finds_nothing_is_not_repeated_for_its_labels(tmp_path):
    # The noise-level dev split again, three rounds allowed: round 1 finds nothing for Lung
    # Opacity (the only label that errs), and the run does not spend rounds 2 and 3 on it again;
    # it says that every failing label was tried, and the round records its targets.
    dev = _noise_level_dev()
    outcome = optimize(OptimizeConfig(labelset=str(_planted_labelset(tmp_path)),
                                      experiment=str(_experiment(tmp_path, dev=dev)),
                                      optimizer=str(_recipe(tmp_path, narrowing_min_support=0)),
                                      auto_approve="all", **{**FAST, "max_rounds": 3}),
                       runs_dir=tmp_path / "runs")
    [first] = outcome.rounds
    assert first.proposal is None and first.targets == ("lung_opacity",)
    assert "beyond noise" in outcome.reason
    assert "every failing label tried: lung_opacity" in outcome.reason, outcome.reason


def test_transfer_report_at_the_end_and_in_runs_show(tmp_path):
    experiment = _experiment(tmp_path, guards={"copy": "test.jsonl"})
    runner = CliRunner()
    result = runner.invoke(app, ["optimize", "--experiment", str(experiment),
                                 "--labelset", str(_planted_labelset(tmp_path)),
                                 "--auto-approve", "all",
                                 "--max-rounds", "1", "--trials", "3", "--labels-per-round",
                                 "1", "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "transfer: macro-F1" in result.output
    assert "guard examples passed:" in result.output
    assert "searching 0/?" not in result.output
    assert "round 1: trial 1/3" in result.output  # a line per trial when not at a terminal
    [run_dir] = list((tmp_path / "runs").iterdir())
    assert (run_dir / "plots" / "transfer.png").is_file()
    shown = runner.invoke(app, ["runs", "show", str(run_dir)])
    assert shown.exit_code == 0, shown.output
    assert "transfer: macro-F1" in shown.output
    transfer = Run(run_dir).manifest.transfer
    assert set(transfer["macro_f1"]) == {"train", "dev", "test"}
    assert set(transfer["macro_f1"]["test"]) == {"target", "copy"}
    examples = transfer["guard_examples"]
    assert examples["final"]["total"] > 0
    assert Run(run_dir).manifest.format_version == 2


@pytest.mark.parametrize("field", ["pseudo", "termination"])
def test_a_new_pseudo_cue_or_scope_terminator_narrows(field):
    """'without definite' as a pseudo-cue would read "without definite effusion" as present:
    auto-approve must not take it as a widening."""
    from radprompt.optimizers.changes import ChangeClass, labelset_changes

    before = load_labelset("chestxray21")
    cues = before.cues.model_copy(update={field: (*getattr(before.cues, field),
                                                   "without definite")})
    after = before.model_copy(update={"cues": cues})
    changes = labelset_changes(before, after)
    assert [c.change_class for c in changes] == [ChangeClass.NARROWING]
    assert "without definite" in changes[0].description


def test_the_transfer_report_scores_each_version_by_its_own_uncertainty_policy(tmp_path):
    """A guard gold identical to the target must score each version exactly as the target
    does, also when the final version changed how an uncertain finding counts."""
    from radprompt.experiments import load_experiment
    from radprompt.labelset import UncertaintyPolicy
    from radprompt.optimizers.report import transfer_report

    folder = tmp_path / "experiment"
    folder.mkdir()
    hedged = [{"id": f"synthetic-{n}", "text": "FINDINGS: Possible small right pleural effusion.",
               "labels": {"pleural_effusion": "present", "no_finding": "absent"},
               "synthetic": True} for n in range(4)]
    plain = [_report(10 + n, PATTERNS[n]) for n in range(4)]
    for split in ("train", "dev", "test"):
        _write(folder / f"{split}.jsonl", hedged + plain)
    config = {"name": "synthetic", "labelset": "chestxray21", "synthetic": True,
              "splits": {s: f"{s}.jsonl" for s in ("train", "dev", "test")},
              "guards": {"copy": "test.jsonl"}}
    (folder / "synthetic.yaml").write_text(yaml.safe_dump(config), "utf-8")
    labelset = load_labelset("chestxray21")
    effusion = labelset.get("pleural_effusion")
    assert effusion.uncertainty_policy == UncertaintyPolicy.POSITIVE
    final = RulesProgram(labelset=labelset.with_label(effusion.model_copy(
        update={"uncertainty_policy": UncertaintyPolicy.NEGATIVE})))
    report, _, _ = transfer_report(
        experiment=load_experiment(folder / "synthetic.yaml", labelset=labelset),
        labelset=labelset, initial=RulesProgram(labelset=labelset), final=final, usage={})
    test = report["macro_f1"]["test"]
    assert test["target"]["initial"] != test["target"]["final"]  # the policy matters here
    assert test["copy"] == test["target"]
