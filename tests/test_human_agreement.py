"""Agreement of metrics with raters, the fitted composite, and RadJudge with patient context.

The CSV cases are synthetic; the RadPref and RadJudge checks read ../shared/data and skip
cleanly without it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.errors import InputError
from radprompt.evaluation.composite import fit_composite
from radprompt.evaluation.human import (
    evaluate_human_agreement,
    human_agreement,
    read_human_preferences,
)
from radprompt.metrics.composite import Composite, load_coefficients
from radprompt.radjudge import rank_agreement, read_radjudge

runner = CliRunner()
REFERENCES = ["Small left pleural effusion.", "Mild cardiomegaly. No pneumothorax.",
              "Right lower lobe pneumonia.", "No acute cardiopulmonary process."]
GOOD = ["Small left pleural effusion.", "The heart is mildly enlarged. No pneumothorax.",
        "Pneumonia in the right lower lobe.", "Lungs are clear."]
BAD = ["Large right pleural effusion.", "Right pneumothorax.", "Lungs are clear.",
       "Left lower lobe consolidation."]


def _write_csv_case(tmp_path):
    (tmp_path / "refs.txt").write_text("\n".join(REFERENCES) + "\n")
    (tmp_path / "good.txt").write_text("\n".join(GOOD) + "\n")
    (tmp_path / "bad.txt").write_text("\n".join(BAD) + "\n")
    rows = ["id,system,rating,rater"]
    for case in range(1, 5):
        rows += [f"{case},good,5,r1", f"{case},good,4,r2", f"{case},bad,1,r1", f"{case},bad,2,r2"]
    (tmp_path / "ratings.csv").write_text("\n".join(rows) + "\n")


def test_cli_with_a_ratings_csv(tmp_path):
    _write_csv_case(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(app, [
        "evaluate", "--human-preferences", str(tmp_path / "ratings.csv"),
        "-r", str(tmp_path / "refs.txt"), "-g", f"good={tmp_path / 'good.txt'}",
        "-g", f"bad={tmp_path / 'bad.txt'}", "--metrics", "clinscore,bleu",
        "--resamples", "200", "-o", str(out), "--json"])
    assert result.exit_code == 0, result.output
    table = json.loads(result.stdout)
    assert table["clinscore"]["agreement"] == 1.0
    assert table["clinscore"]["pairs"] == 4 and table["clinscore"]["ties"] == 0
    assert -1 <= table["bleu"]["kendall_tau_b"] <= 1
    assert (out / "human_agreement.png").is_file() and (out / "human_agreement.csv").is_file()


def test_a_csv_without_texts_needs_the_reports(tmp_path):
    _write_csv_case(tmp_path)
    result = runner.invoke(app, ["evaluate", "--human-preferences",
                                 str(tmp_path / "ratings.csv"), "--metrics", "bleu"])
    assert result.exit_code != 0
    assert "--references" in result.output


def test_csv_columns_are_checked(tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("id,model,score\n1,a,3\n")
    with pytest.raises(InputError, match="rating"):
        read_human_preferences(path)


def test_ties_count_as_disagreement():
    from radprompt.evaluation.human import HumanPreferences

    prefs = HumanPreferences(ratings={("1", "a"): (4.0,), ("1", "b"): (2.0,),
                                      ("2", "a"): (1.0,), ("2", "b"): (3.0,)})
    scores = {("1", "a"): 0.5, ("1", "b"): 0.5, ("2", "a"): 0.1, ("2", "b"): 0.9}
    row = human_agreement(prefs, scores={"m": scores}, n_resamples=50).loc["m"]
    assert row["agreement"] == 0.5 and row["ties"] == 1 and row["pairs"] == 2


def test_composite_reads_a_mapping_or_the_shipped_fit():
    shipped = load_coefficients("radpref-dev")
    assert next(iter(shipped["components"])) == "clinscore.score"
    assert "cv_agreement" in shipped
    with pytest.raises(InputError, match="components"):
        load_coefficients({"components": {}})
    result = Composite().compute(predictions=GOOD, references=REFERENCES)
    assert set(result.per_sample) >= set(shipped["components"])


@pytest.fixture(scope="module")
def radpref():
    folder = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "radpref-dev"
    if not folder.is_dir():
        pytest.skip(f"RadPref development half not found at {folder}")
    prefs = read_human_preferences(folder)
    return prefs, evaluate_human_agreement(
        prefs, metrics=["clinscore", "bleu", "rouge", "meteor"], n_resamples=200)


def test_radpref_clinical_composite_beats_every_lexical_metric_cross_validated(radpref):
    prefs, agreement = radpref
    assert len(prefs.ids) == 50
    assert prefs.contexts[prefs.ids[0]]["age"]  # patient context is read
    fit = fit_composite(prefs, scores=agreement.columns,
                        components=["clinscore.score", "bleu.bleu4", "meteor.meteor"], folds=5)
    lexical = agreement.table.loc[["bleu", "rouge", "meteor"], "agreement"]
    assert fit.cv_agreement > lexical.max()
    assert agreement.table.loc["clinscore", "kendall_tau_b"] > agreement.table.loc[
        ["bleu", "rouge", "meteor"], "kendall_tau_b"].max()


def test_radjudge_clinscore_reproduces_at_least_27_of_30(shared_data):
    tests = read_radjudge(shared_data / "radjudge" / "radjudge_test_cases.json")
    summary = rank_agreement(tests, metrics=["clinscore"]).summary
    assert summary.loc["clinscore", "tests_reproduced"] >= 27


def test_evaluate_prints_the_time_of_each_metric(tmp_path):
    _write_csv_case(tmp_path)
    result = runner.invoke(app, [
        "evaluate", "-r", str(tmp_path / "refs.txt"), "-g", f"good={tmp_path / 'good.txt'}",
        "--metrics", "clinscore,composite,bleu", "--resamples", "50", "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    timing = next(line for line in result.output.splitlines() if "time per metric" in line)
    assert all(name in timing for name in ("clinscore", "composite", "bleu"))
    assert "breakdown" in (tmp_path / "o" / "per_sample.csv").read_text().splitlines()[0]
