"""What a first-time user meets: --version, one name for output options, clean help, the
public API, ``models check`` and the score figures named as what they are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from llm_support import mini_fixture, private_cache_fixture, server_fixture  # noqa: F401
from typer.testing import CliRunner

import radprompt
from radprompt.cli import app
from radprompt.cli._lazy import load_all_verbs

runner = CliRunner()
DEMO = Path(__file__).resolve().parents[1] / "experiments" / "demo"
WORKED = Path(__file__).resolve().parents[1] / "experiments" / "worked-example"


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"radprompt {radprompt.__version__}"


def test_every_output_option_is_named_output_with_short_o():
    load_all_verbs()
    group = typer.main.get_command(app)
    stack, seen = [group], 0
    while stack:
        command = stack.pop()
        stack.extend((getattr(command, "commands", None) or {}).values())
        for param in getattr(command, "params", []):
            names = set(param.opts)
            if names & {"--output-dir", "--out"}:
                pytest.fail(f"{command.name}: {sorted(names)}")
            if "--output" in names:
                seen += 1
                assert "-o" in names, command.name
    assert seen >= 5


@pytest.mark.parametrize("old", ["--output-dir", "--out"])
def test_old_output_names_still_work_with_a_note(tmp_path, old):
    result = runner.invoke(app, ["evaluate", "-r", str(WORKED / "reference.jsonl"), "-g",
                                 f"a={WORKED / 'generated.jsonl'}", "--metrics", "bleu",
                                 "--resamples", "10", old, str(tmp_path / "eval")])
    assert result.exit_code == 0, result.output
    assert f"{old} is now --output" in result.output
    assert (tmp_path / "eval" / "summary.csv").is_file()


@pytest.mark.parametrize("argv", [[], ["extract"], ["evaluate"], ["labelsets", "test"]])
def test_help_has_no_bool_placeholder(argv):
    result = runner.invoke(app, [*argv, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "--help" in result.output


def test_help_paragraphs_are_reflowed_not_cut_at_source_lines():
    result = runner.invoke(app, ["extract", "--help"], env={"COLUMNS": "200"})
    text = re.sub(r"\s+", " ", result.output)
    assert "a run that is stopped continues where it stopped" in text
    # each example command on a line of its own
    lines = [line.strip() for line in result.output.splitlines()]
    assert any(line.startswith("radprompt extract -e rules") for line in lines)


def test_public_api_is_listed_and_lazy():
    names = set(radprompt.__all__)
    assert {"load_labelset", "read_dataset", "build_extractor", "extract_dataset", "score",
            "evaluate", "LLMRecipe"} <= names
    assert names <= set(dir(radprompt))
    labels = radprompt.load_labelset("chestxray21")
    data = radprompt.read_dataset(DEMO / "dev.jsonl", labelset=labels)
    run = radprompt.extract_dataset(data, extractor=radprompt.build_extractor("rules",
                                                                              labelset=labels))
    report = radprompt.score(predictions={f.report_id: f for f in run.findings},
                             references=data.references, labelset=labels)
    assert 0 < report.macro_f1 <= report.macro_f1_supported <= 1


def test_models_check_reports_what_the_endpoint_did(server):
    result = runner.invoke(app, ["models", "check", "--model", "hosted_vllm/fake-model",
                                 "--api-base", server.base_url])
    assert result.exit_code == 0, result.output
    assert "reached            yes" in result.output
    assert "accepted, but the answer did not follow the schema" in result.output
    assert server.request_count == 1
    assert server.requests[0].params["response_format"]["type"] == "json_schema"


def test_models_check_on_a_closed_port_says_so():
    result = runner.invoke(app, ["models", "check", "--model", "hosted_vllm/m", "--api-base",
                                 "http://127.0.0.1:9/v1"])
    assert result.exit_code == 1
    assert "reached            no" in result.output and "cannot connect" in result.output


def test_score_names_both_macro_f1s_and_explains_the_state_columns(tmp_path):
    out = tmp_path / "f.jsonl"
    assert runner.invoke(app, ["extract", "-i", str(DEMO / "test.jsonl"), "-o",
                               str(out)]).exit_code == 0
    result = runner.invoke(app, ["score", "-p", str(out), "-r", str(DEMO / "test.jsonl")],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    text = re.sub(r"\s+", " ", result.output)
    assert "over all 21 labels (Ran Score's definition)" in text
    assert "label(s) with reference positives" in text
    assert "mention F1 = the label mentioned at all" in text
    data = json.loads(runner.invoke(app, ["score", "-p", str(out), "-r",
                                          str(DEMO / "test.jsonl"), "--json"]).output)
    assert data["labels_with_support"] == 21


def test_evaluate_cautions_on_few_pairs(tmp_path):
    result = runner.invoke(app, ["evaluate", "-r", str(WORKED / "reference.jsonl"), "-g",
                                 f"a={WORKED / 'generated.jsonl'}", "--metrics", "bleu,rouge",
                                 "--option", "bleu.max_order=2", "--option",
                                 "bleu.tokenize=none", "--resamples", "10", "-o",
                                 str(tmp_path / "e")])
    assert result.exit_code == 0, result.output
    assert "caution: 1 report pair(s)" in result.output
    summary = (tmp_path / "e" / "summary.csv").read_text().splitlines()
    header, row = summary[0].split(","), summary[1].split(",")
    values = dict(zip(header, row, strict=True))
    assert float(values["bleu.bleu2"]) == pytest.approx(0.2462, abs=1e-4)
    assert float(values["rouge.rouge1_recall"]) == pytest.approx(4 / 13)
    assert float(values["rouge.rouge2_recall"]) == pytest.approx(2 / 12)
    bad = runner.invoke(app, ["evaluate", "-r", str(WORKED / "reference.jsonl"), "-g",
                              f"a={WORKED / 'generated.jsonl'}", "--metrics", "bleu",
                              "--option", "bleu.max_ordr=2", "-o", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "max_order" in bad.output
