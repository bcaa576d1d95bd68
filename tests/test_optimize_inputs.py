"""optimize on bad experiment data (issue 11): bad rows are reported, unusable splits refused
before a run starts, and a run that fails is never left marked "running"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.errors import InputError
from radprompt.optimizers import OptimizeConfig, Run, optimize

# SYNTHETIC reports written for these tests.
GOOD = [
    ("Cardiomegaly. No pneumothorax.", {"cardiomegaly": "present", "pneumothorax": "absent"}),
    ("Small right pleural effusion.", {"pleural_effusion": "present"}),
    ("No pleural effusion. Lungs are clear.", {"pleural_effusion": "absent"}),
]


def _lines(count: int, start: int = 0) -> list[str]:
    lines = []
    for n in range(start, start + count):
        text, labels = GOOD[n % len(GOOD)]
        lines.append(json.dumps({"id": f"synthetic-{n:04d}", "text": f"FINDINGS: {text}",
                                 "labels": labels, "synthetic": True}))
    return lines


def _experiment(tmp_path: Path, *, train: list[str], dev: list[str]) -> Path:
    (tmp_path / "train.jsonl").write_text("\n".join(train) + "\n", "utf-8")
    (tmp_path / "dev.jsonl").write_text("\n".join(dev) + ("\n" if dev else ""), "utf-8")
    (tmp_path / "test.jsonl").write_text("\n".join(_lines(9, 900)) + "\n", "utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"name": "bad", "labelset": "chestxray21", "synthetic": True,
                                    "splits": {"train": "train.jsonl", "dev": "dev.jsonl",
                                               "test": "test.jsonl"}}), "utf-8")
    return path


def test_bad_rows_in_a_split_are_reported(tmp_path):
    train = [*_lines(12),
             '{"id": "synthetic-broken", "text": "cut short',  # broken line
             _lines(1)[0],  # duplicate id
             json.dumps({"id": "synthetic-bad-label", "text": "Cardiomegaly.",
                         "labels": {"cardiomegaly": "maybe"}}),
             json.dumps({"id": "synthetic-empty", "text": "  ", "labels": {}})]
    experiment = _experiment(tmp_path, train=train, dev=_lines(9, 100))
    result = CliRunner().invoke(app, ["optimize", "--experiment", str(experiment),
                                      "--max-rounds", "1", "--trials", "2",
                                      "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "4 row(s) of experiment bad could not be used" in result.output
    for what in ("duplicate id", "empty report text", "maybe"):
        assert what in result.output
    [run] = [Run(p) for p in (tmp_path / "runs").iterdir()]
    assert run.manifest.input_problems == 4


@pytest.mark.parametrize("dev", [[], [json.dumps({"id": "synthetic-1", "text": "No effusion."})]],
                         ids=["empty", "unlabelled"])
def test_an_unusable_split_is_refused_before_a_run_starts(tmp_path, dev):
    experiment = _experiment(tmp_path, train=_lines(9), dev=dev)
    result = CliRunner().invoke(app, ["optimize", "--experiment", str(experiment),
                                      "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code != 0
    assert "dev" in result.output
    assert "every label clears" not in result.output
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())


def test_a_run_that_fails_is_not_left_running(tmp_path, monkeypatch):
    import radprompt.optimizers.loop as loop

    def broken(*_: object) -> None:
        raise RuntimeError("the search broke")

    monkeypatch.setattr(loop, "model_failing", broken)
    experiment = _experiment(tmp_path, train=_lines(9), dev=_lines(9, 100))
    with pytest.raises(RuntimeError):
        optimize(OptimizeConfig(experiment=str(experiment), max_rounds=1),
                 runs_dir=tmp_path / "runs")
    [run] = [Run(p) for p in (tmp_path / "runs").iterdir()]
    assert run.manifest.status == "failed"
    assert "the search broke" in run.manifest.reason
    listed = CliRunner().invoke(app, ["runs", "list", "--runs-dir", str(tmp_path / "runs")])
    assert "failed" in listed.output and "running" not in listed.output


def test_an_unknown_transfer_setting_is_refused(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(yaml.safe_dump({"proposer": {"rules": "lexical"},
                                      "transfer": {"alpah": 0.1}}), "utf-8")
    with pytest.raises(InputError, match="known"):
        optimize(OptimizeConfig(optimizer=str(recipe)), runs_dir=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
