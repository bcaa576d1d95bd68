"""Bad input ends with one message naming the file, the row or key, and the problem.

Row-level problems (empty text, duplicate ids, NUL bytes, bad label values) do not stop
``extract``: it writes what it could, lists what it could not, and exits 1. File-level problems
exit 2 before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radprompt.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def extract(tmp_path: Path, input_path: Path, *extra: str):
    return run("extract", "--labelset", "chestxray21", "--input", input_path,
               "--output", tmp_path / "out.jsonl", *extra)


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_missing_file(tmp_path):
    result = extract(tmp_path, tmp_path / "nowhere.csv")
    assert result.exit_code == 2
    assert "nowhere.csv: file not found" in result.output


def test_missing_text_column(tmp_path):
    path = write(tmp_path / "r.csv", "id,body\n1,No effusion.\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.csv, header: no text column" in result.output


def test_missing_id_column(tmp_path):
    path = write(tmp_path / "r.csv", "text\nNo effusion.\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.csv, header: no id column" in result.output


def test_missing_id_field_in_jsonl(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"text": "No effusion."}\n')
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.jsonl, line 1: no 'id' field" in result.output


def test_empty_report_text_is_listed_and_the_rest_is_written(tmp_path):
    path = write(tmp_path / "r.csv",
                 'id,text\na,Small pleural effusion.\nb,"  "\nc,No pneumothorax.\n')
    result = extract(tmp_path, path)
    assert result.exit_code == 1
    assert "r.csv, row 3 (id 'b'): empty report text" in result.output
    written = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert written == ["a", "c"]
    failed = (tmp_path / "out.jsonl.failed.jsonl").read_text()
    assert json.loads(failed) == {"id": "b", "row": 3, "reason": "empty report text"}


def test_duplicate_ids(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\na,No effusion.\na,Effusion.\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 1
    assert "r.csv, row 3 (id 'a'): duplicate id (first seen in row 2)" in result.output


def test_non_utf8_bytes(tmp_path):
    path = write(tmp_path / "r.csv", b"id,text\na,No effusion.\nb,caf\xe9 effusion\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.csv, line 3: not valid UTF-8 (byte 0xe9" in result.output


def test_nul_bytes(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\na,No effusion.\nb,Effusion\x00 here.\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 1
    assert "r.csv, row 3 (id 'b'): contains NUL bytes" in result.output


def test_label_value_outside_chexpert_codes(tmp_path):
    path = write(tmp_path / "r.csv", "id,text,Pneumothorax\na,No pneumothorax.,0\nb,Ptx.,2\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 1
    assert "r.csv, row 3 (id 'b'): column 'Pneumothorax': label value '2' is not one of" in (
        result.output)


def test_label_column_not_in_labelset(tmp_path):
    path = write(tmp_path / "r.csv", "id,text,Pneumothorax,Gallstones\na,No pneumothorax.,0,1\n")
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.csv, header: column 'Gallstones' is not a label of labelset 'chestxray21'" in (
        result.output)


def test_unknown_label_key_in_jsonl(tmp_path):
    path = write(tmp_path / "r.jsonl",
                 '{"id": "a", "text": "No effusion.", "labels": {"gallstones": 1}}\n')
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.jsonl, line 1: column 'gallstones' is not a label" in result.output


@pytest.mark.parametrize("content", ["", "\n\n  \n"])
def test_empty_file(tmp_path, content):
    path = write(tmp_path / "r.csv", content)
    result = extract(tmp_path, path)
    assert result.exit_code == 2
    assert "r.csv: the file is empty" in result.output


def test_malformed_yaml_labelset(tmp_path):
    path = write(tmp_path / "broken.yaml", "name: x\nlabels: [\n  - id: a\n")
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2
    assert "broken.yaml, line" in result.output
    assert "malformed YAML" in result.output


LABELSET_HEAD = "name: bad\nversion: '1'\nlabels:\n"
GOOD_LABEL = "  - {id: edema, name: Edema, definition: d, phrases: [edema]}\n"


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (GOOD_LABEL + "  - {id: pneumonia, name: Pneumonia, definition: d, phrases: [x], "
                      "colour: red}\n", "labels[1] (id 'pneumonia').colour: unknown key 'colour'"),
        (GOOD_LABEL + "  - {id: edema, name: Edema 2, definition: d, phrases: [x]}\n",
         "duplicate label id 'edema'"),
        (GOOD_LABEL + "  - {id: pneumonia, name: Pneumonia, definition: d}\n",
         "label 'pneumonia' has no mention phrases or synonyms"),
        (GOOD_LABEL + "  - {id: pneumonia, name: Pneumonia, definition: d, phrases: [x], "
                      "threshold: 1.5}\n", "labels[1] (id 'pneumonia').threshold: threshold 1.5 "
                                           "is outside [0, 1]"),
        ("  - {id: Bad-Id, name: B, definition: d, phrases: [x]}\n", "is not snake_case"),
    ],
)
def test_labelset_that_fails_validation(tmp_path, labels, expected):
    path = write(tmp_path / "bad.yaml", LABELSET_HEAD + labels)
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2, result.output
    assert "bad.yaml" in result.output
    assert expected in " ".join(result.output.split())


def test_unknown_top_level_key(tmp_path):
    path = write(tmp_path / "bad.yaml", LABELSET_HEAD + GOOD_LABEL + "colour: red\n")
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2
    assert "bad.yaml, colour: unknown key 'colour'" in result.output


def test_mapping_to_a_label_that_does_not_exist(tmp_path, monkeypatch):
    (tmp_path / "labelsets" / "mappings").mkdir(parents=True)
    write(tmp_path / "labelsets" / "mappings" / "bad_map.yaml",
          "name: bad_map\nsource: elsewhere\ntarget: chestxray21\n"
          "map:\n  Effusion: [pleural_effusion]\n  Gallstone: [gallbladder_stone]\n")
    monkeypatch.setenv("RADPROMPT_HOME", str(tmp_path))
    result = run("labelsets", "validate")
    assert result.exit_code == 2
    assert ("bad_map.yaml: mapping 'bad_map': 'Gallstone' maps to 'gallbladder_stone', which "
            "is not a label of 'chestxray21'") in " ".join(result.output.split())


def test_labelset_option_with_a_broken_file(tmp_path):
    path = write(tmp_path / "bad.yaml", LABELSET_HEAD + "  - {id: a, name: A, definition: d}\n")
    reports = write(tmp_path / "r.csv", "id,text\na,No effusion.\n")
    result = run("extract", "--labelset", path, "--input", reports, "--output",
                 tmp_path / "o.jsonl")
    assert result.exit_code == 2
    assert "label 'a' has no mention phrases or synonyms" in result.output


def test_one_megabyte_report_is_processed(tmp_path):
    text = "Small left pleural effusion. No pneumothorax. " * 23_000
    assert len(text) > 1_000_000
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"id": "big", "text": text}) + "\n", encoding="utf-8")
    result = extract(tmp_path, path)
    assert result.exit_code == 0, result.output
    findings = json.loads((tmp_path / "out.jsonl").read_text())["findings"]
    assert findings["pleural_effusion"]["state"] == "present"
    assert findings["pneumothorax"]["state"] == "absent"


def test_one_megabyte_report_in_csv(tmp_path):
    text = "Small left pleural effusion. " * 40_000
    path = tmp_path / "big.csv"
    path.write_text(f'id,text\nbig,"{text}"\n', encoding="utf-8")
    result = extract(tmp_path, path)
    assert result.exit_code == 0, result.output


def test_derived_ignores_must_name_labels(tmp_path):
    path = write(tmp_path / "bad.yaml", LABELSET_HEAD + GOOD_LABEL +
                 "  - {id: no_finding, name: No Finding, definition: d, "
                 "derived: no_other_positive, derived_ignores: [gallstones]}\n")
    result = run("labelsets", "validate", path)
    assert result.exit_code == 2
    assert "derived_ignores names unknown label(s) ['gallstones']" in " ".join(
        result.output.split())
