"""Readers: JSONL, CSV with CheXpert coding, IU / Open-i with MeSH, NegBio gold; writers."""

from __future__ import annotations

import json

import pytest

from radprompt.findings import State
from radprompt.labelset import UncertaintyPolicy, load_labelset
from radprompt.reports import read_dataset, write_findings


def test_jsonl_with_state_names_and_codes(tmp_path, chestxray21):
    path = tmp_path / "r.jsonl"
    path.write_text(
        json.dumps({"id": "a", "text": "Edema.", "labels": {"edema": "present",
                                                             "Pneumothorax": 0,
                                                             "pneumonia": -1,
                                                             "atelectasis": None}}) + "\n",
        encoding="utf-8")
    data = read_dataset(path, labelset=chestxray21)
    ref = data.references["a"]
    assert ref.state("edema") is State.PRESENT
    assert ref.state("pneumothorax") is State.ABSENT
    assert ref.state("pneumonia") is State.UNCERTAIN
    assert ref.state("atelectasis") is State.NOT_MENTIONED


def test_chexpert_csv_by_display_name(tmp_path, chestxray21):
    path = tmp_path / "r.csv"
    path.write_text("id,text,Pleural Effusion,No Finding,split\n"
                    "a,Small effusion.,1,,train\nb,Clear.,0,1,dev\n", encoding="utf-8")
    data = read_dataset(path, labelset=chestxray21)
    assert [r.id for r in data.reports] == ["a", "b"]
    assert data.reports[1].meta == {"split": "dev"}
    assert data.references["a"].state("pleural_effusion") is State.PRESENT
    assert data.references["b"].state("pleural_effusion") is State.ABSENT
    assert data.references["b"].state("no_finding") is State.PRESENT


def test_findings_round_trip_through_jsonl_and_csv(tmp_path, chestxray21):
    from radprompt.extractors import RulesExtractor
    from radprompt.reports import Report

    engine = RulesExtractor(labelset=chestxray21)
    found = engine.extract([Report("a", "Small left pleural effusion. No pneumothorax.")])
    for name in ("f.jsonl", "f.csv"):
        write_findings(tmp_path / name, found, labelset=chestxray21)  # type: ignore[arg-type]
        back = read_dataset(tmp_path / name, labelset=chestxray21, require_text=False)
        assert back.references["a"].state("pleural_effusion") is State.PRESENT
        assert back.references["a"].state("pneumothorax") is State.ABSENT
    evidence = json.loads((tmp_path / "f.jsonl").read_text())["findings"]["pleural_effusion"]
    assert evidence["evidence"] == "Small left pleural effusion."


def test_iu_reports_with_mesh_codes(shared_data, chestxray21):
    data = read_dataset(shared_data / "iu-openi" / "indiana_reports.csv", labelset=chestxray21)
    assert len(data.reports) + len(data.problems) == 3851
    assert all(p.problem == "empty report text" for p in data.problems)
    report = next(r for r in data.reports if r.id == "CXR2")
    assert report.text.startswith("FINDINGS: ")
    assert "\nIMPRESSION: " in report.text
    assert data.references["CXR2"].state("cardiomegaly") is State.PRESENT
    assert data.references["CXR1"].state("no_finding") is State.PRESENT
    assert data.references["CXR1"].binary_only


def test_negbio_gold_maps_onto_chestxray21(shared_data, chestxray21):
    data = read_dataset(shared_data / "iu-openi" / "openi_gld_std14.csv", labelset=chestxray21,
                        require_text=False)
    assert len(data.references) == 3851
    assert data.covered_labels is not None
    assert "pleural_effusion" in data.covered_labels
    assert "support_devices" not in data.covered_labels
    positives = sum(ref.state("pleural_effusion") is State.PRESENT
                    for ref in data.references.values())
    assert positives == 153


def test_extract_and_score_iu_against_negbio(shared_data, tmp_path):
    from typer.testing import CliRunner

    from radprompt.cli import app

    runner = CliRunner()
    out = tmp_path / "iu.jsonl"
    extracted = runner.invoke(app, ["extract", "-i",
                                    str(shared_data / "iu-openi" / "indiana_reports.csv"),
                                    "-o", str(out)])
    assert extracted.exit_code == 1  # 25 IU reports have neither findings nor impression
    assert "25 report(s) could not be used" in extracted.output
    scored = runner.invoke(app, ["score", "-p", str(out), "-r",
                                 str(shared_data / "iu-openi" / "openi_gld_std14.csv"), "--json"])
    assert scored.exit_code == 0, scored.output
    result = json.loads(scored.output)
    assert result["n_reports"] == 3851
    by_label = {s["label_id"]: s for s in result["labels"]}
    assert by_label["cardiomegaly"]["f1"] > 0.8
    assert by_label["pleural_effusion"]["f1"] > 0.8
    assert 0.5 < result["macro_f1"] < 1.0


@pytest.mark.parametrize("value", ["2", "yes", "0.5"])
def test_bad_label_values_are_row_problems(tmp_path, chestxray21, value):
    path = tmp_path / "r.csv"
    path.write_text(f"id,text,Edema\na,Edema.,{value}\nb,Edema.,1\n", encoding="utf-8")
    data = read_dataset(path, labelset=chestxray21)
    assert [r.id for r in data.reports] == ["b"]
    assert data.problems[0].row == 2


def test_a_hedged_finding_is_no_false_positive_against_the_negbio_gold(tmp_path):
    """NegBio's gold marks positive findings only: "may represent atelectasis" is 0 there, so
    the mapping scores uncertain answers as negative (whatever the label's own policy)."""
    from typer.testing import CliRunner

    from radprompt.cli import app

    columns = ("Atelectasis,Cardiomegaly,Effusion,Infiltration,Mass,Nodule,Pneumonia,"
               "Pneumothorax,Consolidation,Edema,Emphysema,Fibrosis,Pleural_Thickening,Hernia")
    gold = tmp_path / "gold.csv"
    zeros = ",".join("0" * 14)
    gold.write_text(f"filename,{columns},normal\nCXR1,1,{zeros[2:]},0\nCXR2,{zeros},0\n",
                    encoding="utf-8")
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text(
        '{"id": "CXR1", "findings": {"atelectasis": {"state": "present"}}}\n'
        '{"id": "CXR2", "findings": {"atelectasis": {"state": "uncertain"}}}\n', encoding="utf-8")
    data = read_dataset(gold, labelset=load_labelset("chestxray21"), require_text=False)
    assert data.uncertain_as is UncertaintyPolicy.NEGATIVE
    scored = CliRunner().invoke(app, ["score", "-p", str(predictions), "-r", str(gold), "--json"])
    assert scored.exit_code == 0, scored.output
    atelectasis = {s["label_id"]: s for s in json.loads(scored.output)["labels"]}["atelectasis"]
    assert (atelectasis["tp"], atelectasis["fp"]) == (1, 0)
