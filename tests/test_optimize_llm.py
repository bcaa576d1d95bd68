"""The optimize loop on an LLM prompt, against the loopback fake server.

The fake model (``GuidedAnswerer``) finds a label only through the wordings its guidance names,
and revises guidance from error examples with the phrases of the full chestxray21 labelset it
"knows". The run starts from a weakened labelset (one wording per label), so the prompt is
poor and a better prompt truly scores better on a slice of the synthetic demo corpus.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from llm_support import private_cache_fixture  # noqa: F401 - autouse fixture

from radprompt.labelset import LabelSet, load_labelset
from radprompt.llm import LLMRecipe
from radprompt.llm.privacy import RemoteProviderError
from radprompt.optimizers import OptimizeConfig, Run, list_runs, optimize, resume
from radprompt.optimizers.analysis import analyse_errors
from radprompt.optimizers.program import Revision, labelset_yaml
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.optimizers.proposers import build_proposer
from radprompt.optimizers.proposers.base import ProposalContext
from radprompt.optimizers.search import settings_space
from radprompt.testing import Behaviour, FakeOpenAIServer, GuidedAnswerer

DEMO = Path(__file__).resolve().parents[1] / "experiments" / "demo"
SIZES = {"train": 120, "dev": 60, "test": 30}
FAST = {"n_trials": 8, "minibatches": 2, "labels_per_round": 3}


def weakened(labelset: LabelSet) -> LabelSet:
    """Every label named by its first wording only: the poor starting prompt."""
    return labelset.model_copy(update={"labels": tuple(
        label if label.derived else label.model_copy(
            update={"phrases": label.mention_phrases[:1], "synonyms": ()})
        for label in labelset.labels)})


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("llm-optimize")
    for split, size in SIZES.items():
        lines = (DEMO / f"{split}.jsonl").read_text("utf-8").splitlines()[:size]
        (root / f"{split}.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    experiment = root / "slice.yaml"
    experiment.write_text("name: slice\nlabelset: chestxray21\nsplits:\n  train: train.jsonl\n"
                          "  dev: dev.jsonl\n  test: test.jsonl\n", "utf-8")
    labelset = root / "weak.yaml"
    labelset.write_text(labelset_yaml(weakened(load_labelset("chestxray21"))), "utf-8")
    return {"experiment": experiment, "labelset": labelset}


@pytest.fixture(scope="module")
def fake(workspace) -> Iterator[FakeOpenAIServer]:
    answerer = GuidedAnswerer(labelset=load_labelset(workspace["labelset"]),
                              vocabulary=load_labelset("chestxray21"))
    with FakeOpenAIServer(answerer=answerer) as server:
        yield server


def config(workspace: dict[str, Path], fake: FakeOpenAIServer, **changes) -> OptimizeConfig:
    settings = {"labelset": str(workspace["labelset"]),
                "experiment": str(workspace["experiment"]),
                "llm": {"model": "hosted_vllm/fake", "api_base": fake.base_url,
                        "concurrency": 4, "timeout": 20.0, "backoff": 0.01},
                **FAST, **changes}
    return OptimizeConfig(**settings)


@pytest.fixture(scope="module")
def auto_run(workspace, fake, tmp_path_factory):
    fake.reset()
    # "all": a rewritten guidance drops sentences of the old one (a narrowing change, which
    # the default --auto-approve leaves for a reviewer); these tests are about the loop
    outcome = optimize(config(workspace, fake, auto_approve="all", max_rounds=2),
                       runs_dir=tmp_path_factory.mktemp("runs"))
    return outcome, list(fake.requests)


def test_prompt_changes_alone_raise_dev_macro_f1(auto_run):
    outcome, _ = auto_run
    rounds = outcome.rounds
    improving = [r for r in rounds if r.proposal]
    assert improving, rounds
    for record in improving:
        assert record.dev_macro_f1 > record.dev_macro_f1_before
    for previous, following in itertools.pairwise(rounds):
        assert following.dev_macro_f1_before == pytest.approx(previous.dev_macro_f1)
    # at least one proposal that holds under the paired bootstrap (the second round may
    # find nothing beyond noise in 8 trials)
    assert rounds[-1].dev_macro_f1 >= rounds[0].dev_macro_f1_before + 0.03
    assert outcome.final_test is not None and outcome.initial_test is not None
    assert outcome.final_test.macro_f1 > outcome.initial_test.macro_f1


def test_proposals_are_guidance_diffs_with_a_recorded_parent(auto_run):
    outcome, _ = auto_run
    run = outcome.run
    proposal = run.proposals()[0]
    assert proposal.program_kind == "prompt"
    assert proposal.diff.startswith("--- version ")
    assert any(line.startswith("+Reported as:") for line in proposal.diff.splitlines())
    assert {r["kind"] for r in proposal.revisions} <= {"set_guidance", "set_demos"}
    assert proposal.fixes
    saved = json.loads(run.version_path(proposal.version).read_text("utf-8"))
    parent = json.loads(run.version_path(proposal.parent).read_text("utf-8"))
    assert saved["prompt"]["parent"] == parent["prompt"]["hash"]
    assert "## guidance" in saved["review_text"]
    assert all(d.automatic for d in run.decisions())


def test_reflective_requests_go_to_the_model_and_usage_is_counted(auto_run):
    outcome, requests = auto_run
    revising = [r for r in requests if "<guidance>" in r.messages[-1]["content"]]
    assert revising, "the reflective proposer asked the model"
    assert '<error kind="FN"' in revising[0].messages[-1]["content"]
    usage = outcome.run.manifest.usage
    assert usage["requests"] == len(requests)
    assert usage["tokens"] > 0
    # the run's cache answers every request that was sent once: nothing went twice
    counts = Counter(json.dumps(r.messages, sort_keys=True) + json.dumps(
        r.params.get("temperature")) for r in requests)
    assert max(counts.values()) == 1


def test_an_llm_run_waits_for_review_by_default(workspace, fake, tmp_path):
    outcome = optimize(config(workspace, fake, max_rounds=2, n_trials=4), runs_dir=tmp_path)
    assert outcome.status == "awaiting_review"
    assert outcome.run.manifest.config["auto_approve"] == "none"
    [pending] = outcome.run.pending()
    assert pending.diff


def test_request_budget_stops_the_run(workspace, fake, tmp_path):
    fake.reset()
    outcome = optimize(config(workspace, fake, auto_approve="all", max_rounds=5,
                              max_requests=260), runs_dir=tmp_path)
    assert outcome.status == "finished"
    assert "request budget of 260 spent" in outcome.reason
    assert outcome.run.manifest.test_skipped
    # checked between trials: at most one trial's dev split and guard examples over
    examples = sum(len(label.examples) for label in load_labelset(workspace["labelset"]).labels)
    assert 260 <= fake.request_count <= 260 + SIZES["dev"] + examples
    assert outcome.run.manifest.usage["requests"] == fake.request_count
    # a larger budget on resume: the run goes on (here: only to score the test split)
    done = len(outcome.run.rounds())
    again = resume(outcome.run.path, changes={"max_requests": None, "max_rounds": done,
                                              "llm": {"concurrency": 2}})
    assert again.status == "finished" and again.final_test is not None
    stored = again.run.manifest.config
    assert stored["llm"]["model"] == "hosted_vllm/fake" and stored["llm"]["concurrency"] == 2


def test_the_transfer_report_keeps_to_the_request_budget(workspace, fake, tmp_path):
    # No round: the initial version is the final one. The test split is scored once; then the
    # budget is spent, and the guard examples, dev and train are left out and named as such
    # (before, the guard examples alone sent 536 requests against a budget of 60).
    fake.reset()
    outcome = optimize(config(workspace, fake, auto_approve="all", max_rounds=0,
                              max_requests=1), runs_dir=tmp_path)
    assert outcome.final_test is not None
    transfer = outcome.run.manifest.transfer
    assert list(transfer["macro_f1"]) == ["test"]
    assert "guard_examples" not in transfer
    assert [s.split(":")[0] for s in transfer["skipped"]] == ["guard examples", "train", "dev"]
    assert outcome.run.manifest.usage["requests"] == fake.request_count <= SIZES["test"]


def test_a_remote_model_is_refused_without_allow_remote(workspace, tmp_path):
    with pytest.raises(RemoteProviderError):
        optimize(OptimizeConfig(labelset=str(workspace["labelset"]),
                                experiment=str(workspace["experiment"]),
                                llm={"model": "openai/gpt-4o-mini"}), runs_dir=tmp_path)
    assert not list_runs(tmp_path)


_CHILD = """
import sys
from radprompt.optimizers import OptimizeConfig, optimize
labelset, experiment, url, runs = sys.argv[1:5]
optimize(OptimizeConfig(labelset=labelset, experiment=experiment, auto_approve="all",
                        max_rounds=1, n_trials=8, minibatches=2,
                        llm={"model": "hosted_vllm/fake", "api_base": url, "concurrency": 4,
                             "timeout": 60.0}), runs_dir=__import__("pathlib").Path(runs))
"""


def test_kill_9_then_resume_sends_no_finished_request_twice(workspace, fake, tmp_path):
    fake.reset()
    # Answer 300 requests (past round 1's scoring and proposals, into its search), then hold
    # every request unanswered until the child is killed.
    fake.script(*[Behaviour()] * 300, Behaviour.stall(), repeat=True)
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(workspace["labelset"]),
         str(workspace["experiment"]), fake.base_url, str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(r.behaviour.hangs for r in fake.requests):
        time.sleep(0.05)
    time.sleep(0.5)  # every answer the child got is in its cache by now
    child.send_signal(signal.SIGKILL)
    child.wait()
    before = list(fake.requests)
    answered_before = [r for r in before if not r.behaviour.hangs]
    assert len(answered_before) == 300
    fake.reset()

    [run] = list_runs(tmp_path)
    outcome = resume(run.path)
    assert outcome.status == "finished", outcome.reason
    answered = [*answered_before, *fake.requests]
    counts = Counter(json.dumps(r.messages, sort_keys=True) + json.dumps(
        r.params.get("temperature")) for r in answered)
    assert set(counts.values()) == {1}
    assert len(fake.requests) > 0
    assert Run.open(run.path).rounds()


def test_prompt_program_round_trips_and_exposes_search_settings(workspace, tmp_path):
    labelset = load_labelset(workspace["labelset"])
    recipe = LLMRecipe(model="hosted_vllm/fake", api_base="http://127.0.0.1:9/v1")
    program = PromptProgram.initial(labelset=labelset, recipe=recipe)
    child = program.apply([
        Revision(kind="set_guidance", label_id="edema", value="Fluid. Reported as: edema."),
        Revision(kind="set_demos", label_id="edema",
                 value=[{"report": "Mild edema.", "findings": {"edema": ["present", None]}}]),
    ]).with_settings({"temperature": 0.3, "max_demos": None})
    assert child.version.parent == program.version.hash
    assert child.recipe.temperature == 0.3 and len(child.version.demos) == 1
    loaded = PromptProgram.load(child.save(tmp_path), labelset=labelset,
                                cache_path=tmp_path / "cache.sqlite")
    assert loaded.hash == child.hash and loaded.recipe.cache_path.endswith("cache.sqlite")
    assert program.hash != child.hash and "temperature 0.3" in child.review_text()
    space = settings_space(program)
    assert space["temperature"][0] == 0.0 and space["max_demos"][0] is None
    trimmed = child.with_settings({"max_demos": 0})
    assert trimmed.version.demos == () and trimmed.version.parent == program.version.hash


def test_the_fake_reviser_adds_missed_wordings(workspace):
    answerer = GuidedAnswerer(labelset=load_labelset(workspace["labelset"]),
                              vocabulary=load_labelset("chestxray21"))
    text = ('<label id="pleural_effusion" name="Pleural Effusion">\n<guidance>\nFluid.\n'
            'Reported as: pleural effusion.\n</guidance>\n'
            '<error kind="FN" cause="missed synonym">Small left effusion.</error>')
    revised = json.loads(answerer([{"role": "user", "content": text}]))["guidance"]
    assert "Reported as: pleural effusion; effusion." in revised


def _context(workspace, fake) -> tuple[PromptProgram, ProposalContext]:
    from radprompt.experiments import load_experiment
    from radprompt.runs import score_extraction

    labelset = load_labelset(workspace["labelset"])
    recipe = LLMRecipe(model="hosted_vllm/fake", api_base=fake.base_url, cache=False)
    program = PromptProgram.initial(labelset=labelset, recipe=recipe)
    experiment = load_experiment(workspace["experiment"], labelset=labelset)
    train = experiment.split("train")
    extractor = program.build_extractor()
    evaluation = score_extraction(extractor.extract, train, labelset=labelset)
    worst = sorted(evaluation.report.labels, key=lambda s: s.f1)
    targets = [s.label_id for s in worst if s.support and not labelset.get(s.label_id).derived]
    errors = analyse_errors(evaluation, train, labelset=labelset, labels=targets[:1])
    return program, ProposalContext(program=program, labelset=labelset, train=train,
                                    train_evaluation=evaluation, errors=errors)


@pytest.mark.parametrize("name", ["gepa", "mipro"])
@pytest.mark.filterwarnings("ignore:Implementing custom LMs through BaseLM:DeprecationWarning")
def test_dspy_strategies_turn_their_result_into_revisions(workspace, fake, name):
    pytest.importorskip("dspy")
    program, context = _context(workspace, fake)
    options = {"gepa": {"max_examples": 8, "max_metric_calls": 24, "seed": 0},
               "mipro": {"max_examples": 8, "num_candidates": 2, "num_trials": 2,
                         "minibatch_size": 4}}[name]
    proposer = build_proposer({"proposer": {"prompt": name}, "options": {name: options}},
                              program=program)
    started = time.monotonic()
    revisions = proposer.propose(context)
    assert time.monotonic() - started < 20
    assert proposer.usage_.requests > 0  # through radprompt's client, to the fake server
    assert {r.kind for r in revisions} <= {"set_guidance", "set_demos"}
    if name == "gepa":
        # GEPA's reflection (our template, the per-label feedback) adds missed wordings
        [label_id] = context.errors
        [revision] = [r for r in revisions if r.label_id == label_id]
        old = program.version.guidance[label_id]
        assert revision.value != old and "Reported as:" in revision.value
        child = program.apply(revisions)
        assert child.version.parent == program.version.hash
    # MIPROv2 runs end to end, but the fake model cannot write better instructions and
    # ignores demos, so its best program may be the unchanged one: the seam is tested below.


def test_a_compiled_dspy_program_becomes_revisions(workspace):
    pytest.importorskip("dspy")
    from radprompt.llm.dspy_program import FindingsProgram, examples_from_dataset
    from radprompt.optimizers.proposers.dspy import revisions_between
    from radprompt.reports import read_dataset

    labelset = load_labelset(workspace["labelset"])
    program = PromptProgram.initial(labelset=labelset, recipe=LLMRecipe(
        model="hosted_vllm/fake", api_base="http://127.0.0.1:9/v1"))
    compiled = FindingsProgram(version=program.version)
    predictor = compiled.labels["edema"]
    predictor.signature = predictor.signature.with_instructions("Fluid. Reported as: edema.")
    train = read_dataset(workspace["experiment"].parent / "train.jsonl", labelset=labelset)
    predictor.demos = examples_from_dataset(train)[:2]
    revisions = revisions_between(program.version, compiled.prompt_version(), proposer="mipro",
                                  rationale="test")
    assert [(r.kind, r.label_id) for r in revisions] == [("set_guidance", "edema"),
                                                         ("set_demos", None)]
    child = program.apply(revisions)
    assert child.version.guidance["edema"] == "Fluid. Reported as: edema."
    assert len(child.version.demos) == 2 and child.version.parent == program.version.hash


def test_cli_optimizes_a_prompt_and_stops_for_review(workspace, fake, tmp_path):
    from typer.testing import CliRunner

    from radprompt.cli import app

    runner = CliRunner()
    common = ["optimize", "--labelset", str(workspace["labelset"]), "-x",
              str(workspace["experiment"]), "--trials", "4", "--max-rounds", "1",
              "--runs-dir", str(tmp_path)]
    result = runner.invoke(app, [*common, "--model", "hosted_vllm/fake", "--api-base",
                                 fake.base_url])
    assert result.exit_code == 0, result.output
    assert "awaiting_review" in result.output and "LLM requests sent:" in result.output
    refused = runner.invoke(app, [*common, "--extractor", "rules", "--api-base",
                                  fake.base_url])
    assert refused.exit_code != 0 and "LLM option" in refused.output
    remote = runner.invoke(app, [*common, "--model", "openai/gpt-4o-mini"])
    assert remote.exit_code != 0 and "--allow-remote" in remote.output


def test_a_model_that_never_answers_usably_stops_the_run(workspace, tmp_path):
    with FakeOpenAIServer(answerer=lambda messages: "I cannot help with that.") as prose:
        outcome = optimize(OptimizeConfig(
            labelset=str(workspace["labelset"]), experiment=str(workspace["experiment"]),
            llm={"model": "hosted_vllm/fake", "api_base": prose.base_url, "parse_retries": 0},
            **FAST), runs_dir=tmp_path)
        assert prose.request_count == SIZES["train"] + SIZES["dev"]  # no test split, no search
    assert outcome.status == "failed" and "no usable answer" in outcome.reason
    assert outcome.run.manifest.test_skipped


def test_the_dspy_metric_counts_a_hedge_as_the_gold_does():
    """Against a gold that marks asserted findings only (NegBio, IU MeSH: ``uncertain_as``
    negative), an uncertain answer where the gold has nothing is right, not a false positive."""
    from types import SimpleNamespace

    from radprompt.labelset import UncertaintyPolicy, load_labelset
    from radprompt.optimizers.proposers.dspy import _LabelMetric

    labelset = load_labelset("chestxray21")
    example = SimpleNamespace(findings={}, report="Bibasilar opacity, possibly atelectasis.")
    hedged = SimpleNamespace(findings={"atelectasis": "uncertain"})
    by_gold = _LabelMetric(labelset=labelset, labels=["atelectasis"],
                           uncertain_as=UncertaintyPolicy.NEGATIVE)
    by_label = _LabelMetric(labelset=labelset, labels=["atelectasis"])
    assert by_gold.judge(example, hedged, "atelectasis")[0]
    assert not by_label.judge(example, hedged, "atelectasis")[0]  # chestxray21: positive
