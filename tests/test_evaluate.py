"""radprompt.evaluate: pairing, intervals, paired tests, files and plots."""

from __future__ import annotations

import json

import numpy as np
import pytest

import radprompt
from radprompt.errors import InputError
from radprompt.evaluation import evaluate, evaluate_reports
from radprompt.evaluation.resampling import (
    approximate_randomization_p,
    bootstrap,
    confidence_interval,
    holm,
    paired_bootstrap_p,
)
from radprompt.metrics.base import mean_result

REFERENCES = {
    f"r{i}": text for i, text in enumerate([
        "Small right pleural effusion. No pneumothorax.",
        "Mild cardiomegaly with pulmonary edema.",
        "No acute cardiopulmonary process.",
        "Right lower lobe pneumonia.",
        "Left pneumothorax. Left chest tube in place.",
        "Bibasilar atelectasis. No pleural effusion.",
    ] * 4)
}
GOOD = dict(REFERENCES)
BAD = {key: text.replace("No ", "Small ").replace("Mild", "No") for key, text in REFERENCES.items()}


def write_jsonl(path, texts):
    path.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()))
    return path


def test_evaluate_is_exported_lazily():
    import subprocess
    import sys

    code = ("import sys, radprompt; assert 'pandas' not in sys.modules; "
            "assert callable(radprompt.evaluate); print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr
    assert radprompt.evaluate is evaluate


def test_one_row_per_system_with_intervals(tmp_path):
    table = evaluate(references=REFERENCES, generated={"good": GOOD, "bad": BAD},
                     metrics=["ranscore", "rouge"], n_resamples=200, output_dir=tmp_path)
    assert list(table.index) == ["good", "bad"]
    assert table.loc["good", "ranscore.micro_f1"] == 1.0
    assert table.loc["good", "ranscore.macro_f1"] < 1.0  # labels nobody mentions score 0
    for system in ("good", "bad"):
        for column in ("ranscore.macro_f1", "rouge.rougeL"):
            low, high = table.loc[system, f"{column}.low"], table.loc[system, f"{column}.high"]
            assert low <= table.loc[system, column] <= high
    for name in ("summary.csv", "per_sample.csv", "per_label.csv", "significance.csv",
                 "ranking.csv"):
        assert (tmp_path / name).stat().st_size > 0
    for name in ("systems.png", "labels.png"):
        assert (tmp_path / name).read_bytes()[:4] == b"\x89PNG"


def test_ranking_and_significance():
    evaluation = evaluate_reports(references=REFERENCES, generated={"bad": BAD, "good": GOOD},
                                  metrics=["ranscore", "bleu", "readability"], n_resamples=300)
    ranking = evaluation.ranking
    assert list(ranking[ranking["metric"] == "ranscore"]["system"]) == ["good", "bad"]
    assert "readability" not in set(ranking["metric"])
    row = evaluation.significance.query("metric == 'ranscore'").iloc[0]
    assert row["p_value"] < 0.05 and row["delta"] < 0
    per_sample = evaluation.per_sample
    assert len(per_sample) == 2 * len(REFERENCES)
    assert {"system", "id", "ranscore.f1", "bleu.bleu4", "reference", "generated"} <= set(
        per_sample.columns)


def test_randomization_test_option():
    evaluation = evaluate_reports(references=REFERENCES, generated={"good": GOOD, "bad": BAD},
                                  metrics=["rouge"], n_resamples=200, test="randomization")
    assert evaluation.significance.iloc[0]["p_value"] < 0.05
    assert evaluation.significance.iloc[0]["test"] == "randomization"


def test_pairs_by_id_and_reads_txt(tmp_path):
    references = write_jsonl(tmp_path / "refs.jsonl", REFERENCES)
    partial = dict(list(GOOD.items())[:-2])
    system = write_jsonl(tmp_path / "sys.jsonl", partial)
    evaluation = evaluate_reports(references=references, generated={"sys": system},
                                  metrics=["rouge"], n_resamples=50)
    assert evaluation.paired.ids == list(partial)
    assert evaluation.paired.dropped["sys"] == list(REFERENCES)[-2:]
    lines = tmp_path / "refs.txt"
    lines.write_text("No effusion.\nMild cardiomegaly.\n")
    other = tmp_path / "gen.txt"
    other.write_text("No effusion.\nNormal heart.\n")
    table = evaluate(references=lines, generated={"gen": other}, metrics=["rouge"],
                     n_resamples=20)
    assert table.attrs["n_reports"] == 2


def test_no_shared_ids_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no report id is shared"):
        evaluate(references={"a": "x"}, generated={"s": {"b": "x"}}, metrics=["rouge"])


def test_unknown_metric_and_test():
    with pytest.raises(ValueError, match="unknown metric"):
        evaluate(references=["x"], generated={"s": ["x"]}, metrics=["nope"])
    with pytest.raises(ValueError, match="unknown test"):
        evaluate(references=["x"], generated={"s": ["x"]}, metrics=["rouge"],
                 test="t-test")  # type: ignore[arg-type]


def test_bootstrap_is_paired_seeded_and_skips_nan():
    better = mean_result("m", {"s": np.linspace(0.5, 1.0, 40)}, primary="s")
    worse = mean_result("m", {"s": np.linspace(0.4, 0.9, 40)}, primary="s")
    first = bootstrap({"a": better, "b": worse}, n_resamples=100, seed=3)
    again = bootstrap({"a": better, "b": worse}, n_resamples=100, seed=3)
    assert np.array_equal(first["a"]["s"], again["a"]["s"])
    assert np.all(first["a"]["s"] > first["b"]["s"])  # paired: same draws for both
    assert paired_bootstrap_p(first["a"]["s"], first["b"]["s"]) == 0.0
    assert paired_bootstrap_p(first["a"]["s"], first["a"]["s"]) == 1.0
    with_nan = mean_result("m", {"s": [1.0, float("nan"), 0.0]}, primary="s")
    assert with_nan.scores["s"] == 0.5
    low, high = confidence_interval(bootstrap({"x": with_nan}, n_resamples=50)["x"]["s"])
    assert 0.0 <= low <= high <= 1.0


def test_approximate_randomization():
    a = mean_result("m", {"s": np.ones(30)}, primary="s")
    b = mean_result("m", {"s": np.zeros(30)}, primary="s")
    assert approximate_randomization_p(a, b, n_rounds=200) < 0.01
    assert approximate_randomization_p(a, a, n_rounds=200) == 1.0


def test_holm():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm([float("nan"), 0.5])[0])
