"""Parquet wherever reports are read and findings written (synthetic reports)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.errors import InputError
from radprompt.reports import read_dataset, write_findings

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

RECORDS = [  # synthetic
    {"id": "p1", "text": "Small left pleural effusion. No pneumothorax.",
     "labels": {"pleural_effusion": "present", "pneumothorax": "absent"}},
    {"id": "p2", "text": "Possible right lower lobe pneumonia.",
     "labels": {"pneumonia": "uncertain"}},
    {"id": "p3", "text": "Heart size is normal. Lungs are clear.", "labels": {}},
]


def _layouts(tmp_path):
    """The same reports as a labels struct, labels as JSON text, and CSV-like columns."""
    struct = [{**r, "labels": {**{"pleural_effusion": None, "pneumothorax": None,
                                  "pneumonia": None}, **r["labels"]}} for r in RECORDS]
    tables = {
        "struct": pa.Table.from_pylist(struct),
        "json": pa.Table.from_pylist([{**r, "labels": json.dumps(r["labels"])}
                                      for r in RECORDS]),
        "flat": pa.Table.from_pylist([{"id": r["id"], "text": r["text"],
                                       **{k: None if v is None else
                                          {"present": 1, "absent": 0, "uncertain": -1}[v]
                                          for k, v in s["labels"].items()}}
                                      for r, s in zip(RECORDS, struct, strict=True)]),
    }
    for name, table in tables.items():
        pq.write_table(table, tmp_path / f"{name}.parquet")
        yield tmp_path / f"{name}.parquet"


def test_every_parquet_layout_reads_like_its_jsonl_twin(tmp_path, chestxray21):
    twin = tmp_path / "reports.jsonl"
    twin.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    expected = read_dataset(twin, labelset=chestxray21)
    for path in _layouts(tmp_path):
        data = read_dataset(path, labelset=chestxray21)
        assert [(r.id, r.text) for r in data.reports] == [(r.id, r.text) for r in
                                                          expected.reports], path
        assert data.references == expected.references, path
        assert not data.problems


def test_parquet_findings_keep_evidence_and_score_like_jsonl(tmp_path):
    source = tmp_path / "reports.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    runner = CliRunner()
    for name in ("out.jsonl", "out.parquet"):
        result = runner.invoke(app, ["extract", "-i", str(source), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column("record").to_pylist() == lines
    assert table.column("pleural_effusion").to_pylist() == ["present", "not_mentioned",
                                                            "not_mentioned"]
    scores = [runner.invoke(app, ["score", "-p", str(tmp_path / name), "-r", str(source)])
              for name in ("out.jsonl", "out.parquet")]
    assert scores[0].exit_code == 0 and scores[1].exit_code == 0
    figures = [[line for line in score.output.splitlines() if "macro-F1" in line]
               for score in scores]
    assert figures[0] and figures[0] == figures[1]


def test_a_broken_parquet_file_names_itself(tmp_path, chestxray21):
    broken = tmp_path / "r.parquet"
    broken.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_dataset(broken, labelset=chestxray21)
    write_findings(tmp_path / "empty.parquet", [], labelset=chestxray21)
    with pytest.raises(InputError, match="no reports"):
        read_dataset(tmp_path / "empty.parquet", labelset=chestxray21, require_text=False)
