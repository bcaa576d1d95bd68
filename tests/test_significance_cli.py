"""``radprompt significance``: generate, train, evaluate and radjudge end to end, and RadJudge."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from radprompt.cli import app

pytest.importorskip("sklearn")

runner = CliRunner()


def invoke(*args: str):
    result = runner.invoke(app, ["significance", *args])
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("significance")
    invoke("generate", "-r", "experiments/demo/train.jsonl", "--limit", "60",
           "-o", str(folder / "train.jsonl"))
    invoke("generate", "-r", "experiments/demo/test.jsonl", "--limit", "25", "--seed", "1",
           "-o", str(folder / "test.jsonl"))
    invoke("train", "-p", str(folder / "train.jsonl"), "--heldout", str(folder / "test.jsonl"),
           "-o", str(folder / "model"), "--no-radjudge")
    return folder


def test_help_explains_with_examples():
    result = invoke("--help")
    assert "discrimination" in result.output and "significance generate" in result.output
    for command in ("generate", "evaluate", "train", "radjudge"):
        assert "Example" in invoke(command, "--help").output


def test_generate_writes_pairs_and_counts(workdir):
    summary = json.loads((workdir / "train.summary.json").read_text())
    assert summary["references"] == 60
    assert all(counts["pairs"] + counts["skipped"] == 60
               for counts in summary["counts"].values())
    assert (workdir / "model.joblib").is_file() and (workdir / "model.json").is_file()


def test_evaluate_writes_rates_scores_and_plot(workdir):
    out = workdir / "eval"
    result = invoke("evaluate", "-p", str(workdir / "test.jsonl"), "--metrics",
                    "bleu,rouge,ranscore,trained", "--model", str(workdir / "model.joblib"),
                    "-o", str(out))
    assert "laterality_swap" in result.output
    rates = json.loads((out / "rates.json").read_text())
    assert rates["trained"]["balance"] > max(rates[name]["balance"]
                                             for name in ("bleu", "rouge"))
    assert (out / "tradeoff.png").read_bytes()[:4] == b"\x89PNG"
    first = json.loads((out / "scores.jsonl").read_text().splitlines()[0])
    assert set(first) >= {"id", "kind", "bleu", "trained"}


def test_bad_metric_is_one_red_line(workdir):
    result = runner.invoke(app, ["significance", "evaluate", "-p", str(workdir / "test.jsonl"),
                                 "--metrics", "trained"])
    assert result.exit_code == 2 and "needs a model" in result.output


def test_radjudge_counts(workdir, shared_data):
    result = invoke("radjudge", "--metrics", "ranscore,trained", "--model",
                    str(workdir / "model.joblib"), "--json",
                    "--cases", str(shared_data / "radjudge" / "radjudge_test_cases.json"))
    counts = {entry["metric"]: entry for entry in json.loads(result.output)}
    assert counts["ranscore"]["reproduced"] == 9 and counts["ranscore"]["tests"] == 30
    assert "4a" not in counts["ranscore"]["failed"]  # "heart * enlarged", "fluid * pleural space"
    # patient-context cases cannot be reproduced by a report metric
    assert {"2a", "2b", "2c"} <= set(counts["trained"]["failed"])
    assert counts["trained"]["reproduced"] >= 15
