"""``radprompt evaluate`` and ``radprompt bench metrics`` from the command line."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from radprompt.cli import app

runner = CliRunner()

REFERENCES = ["Small right pleural effusion. No pneumothorax.", "Mild cardiomegaly.",
              "No acute cardiopulmonary process.", "Right lower lobe pneumonia."] * 3


def write(path, texts):
    path.write_text("".join(json.dumps({"id": f"r{i}", "text": t}) + "\n"
                            for i, t in enumerate(texts)))
    return path


def test_help_has_an_example():
    result = runner.invoke(app, ["evaluate", "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and "--generated" in result.output


def test_evaluate_two_systems(tmp_path):
    refs = write(tmp_path / "refs.jsonl", REFERENCES)
    copy = write(tmp_path / "copy.jsonl", REFERENCES)
    worse = write(tmp_path / "worse.jsonl", [t.replace("No", "Large") for t in REFERENCES])
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "evaluate", "-r", str(refs), "-g", f"copy={copy}", "-g", str(worse),
        "--metrics", "ranscore,bleu,rouge", "--resamples", "100", "-o", str(out),
        "--option", "rouge.use_stemmer=true",
    ])
    assert result.exit_code == 0, result.output
    assert "copy" in result.output and "worse" in result.output
    assert "ranscore: copy" in result.output.replace("\n", " ")
    assert "use_stemmer=True" in result.output
    assert (out / "summary.csv").is_file() and (out / "systems.png").is_file()


def test_bad_arguments_exit_2(tmp_path):
    refs = write(tmp_path / "refs.jsonl", REFERENCES)
    for args in (["-g", "=x"], ["-g", f"a={refs}", "--metrics", "nope"],
                 ["-g", f"a={refs}", "--option", "rouge.x"],
                 ["-g", f"a={refs}", "--metrics", "judge"]):
        result = runner.invoke(app, ["evaluate", "-r", str(refs), *args])
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.output


def test_bench_metrics_prints_seconds_per_10k(tmp_path):
    result = runner.invoke(app, ["bench", "metrics", "--metrics", "bleu,rouge",
                                 "--pairs", "60"])
    assert result.exit_code == 0, result.output
    assert "s / 10k pairs" in result.output and "rouge" in result.output


def test_findings_from_an_llm_and_a_judge(tmp_path, monkeypatch, chestxray21):
    from radprompt.testing import FakeOpenAIServer, RulesAnswerer

    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    refs = write(tmp_path / "refs.jsonl", REFERENCES)
    worse = write(tmp_path / "worse.jsonl", [t.replace("No", "Large") for t in REFERENCES])
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=chestxray21)) as server:
        result = runner.invoke(app, [
            "evaluate", "-r", str(refs), "-g", f"worse={worse}", "--metrics", "ranscore,judge",
            "--model", "hosted_vllm/fake", "--api-base", server.base_url, "--resamples", "50",
            "-o", str(tmp_path / "out"),
        ])
        runner.invoke(app, [
            "evaluate", "-r", str(refs), "-g", f"worse={worse}", "--metrics", "ranscore",
            "--resamples", "50", "-o", str(tmp_path / "rules"),
        ])
    # the fake's answers are no rubric grades: no judge score at all is an error (exit 1),
    # with everything else still written
    assert result.exit_code == 1, result.output
    assert "no score at all for judge" in result.output
    llm = (tmp_path / "out" / "summary.csv").read_text().splitlines()[1].split(",")
    rules = (tmp_path / "rules" / "summary.csv").read_text().splitlines()[1].split(",")
    assert llm[1] == rules[1]  # the fake model answers like the rule engine
    assert "pair(s) not judged" in result.output  # its answers are no rubric grades
