"""Reports and reference labels: readers for CSV, JSONL, CheXpert-format and IU / Open-i files.

Every reader returns a ``Dataset``: the usable reports, their reference ``Findings`` where the
file has labels, and the rows it could not use (``problems``), each naming its row and reason.
Problems with the file as a whole (missing, empty, not UTF-8, no id column ...) raise
``InputError`` instead.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import read_dataset
    >>> data = read_dataset("experiments/demo/dev.jsonl", labelset=load_labelset("chestxray21"))
    >>> data.reports[0].id
    'demo-...'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, RowError
from radprompt.findings import Attributes, Evidence, Finding, Findings, State, parse_state
from radprompt.labelset import Label, LabelMapping, LabelSet, UncertaintyPolicy, load_mapping
from radprompt.outputs import check_output_path, write_findings
from radprompt.parquet import is_parquet, parquet_records
from radprompt.text_files import allow_long_csv_fields, jsonl_text_lines
from radprompt.text_files import csv_rows as _csv_rows
from radprompt.text_files import detect_format as _detect_format
from radprompt.text_files import pick_column as _pick_column
from radprompt.text_files import read_text as _read_text

__all__ = ["Dataset", "Report", "allow_long_csv_fields", "check_output_path", "read_dataset",
           "read_jsonl_lines", "write_findings"]

FORMATS = ("auto", "jsonl", "csv", "iu", "negbio", "parquet")
ID_COLUMNS = ("id", "report_id", "study_id", "uid", "filename")
TEXT_COLUMNS = ("text", "report", "report_text")
META_COLUMNS = ("split", "synthetic", "path", "patient_id", "source", "language", "lang")
IU_MESH_MAPPING = "iu_mesh_to_chestxray21"
NEGBIO_MAPPING = "chestxray14_to_chestxray21"

@dataclass(frozen=True, slots=True)
class Report:
    id: str
    text: str
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Dataset:
    """Reports read from one file, with reference labels when the file has them.

    ``covered_labels`` are the label ids the references speak about; ``None`` means all of the
    labelset. A file mapped from another schema (NegBio gold, IU MeSH) covers only the labels its
    mapping reaches.
    """

    path: Path
    reports: list[Report] = field(default_factory=list)
    references: dict[str, Findings] = field(default_factory=dict)
    covered_labels: tuple[str, ...] | None = None
    problems: list[RowError] = field(default_factory=list)
    rows: int = 0
    """Rows (lines) read that held a record, usable or not."""
    uncertain_as: UncertaintyPolicy | None = None
    """How the references count a hedged finding (a mapping's ``uncertain_as``); None: policy."""

    def policy(self, label: Label) -> UncertaintyPolicy:
        """How an uncertain finding counts when scored against these references."""
        return self.uncertain_as or label.uncertainty_policy

    @property
    def has_labels(self) -> bool:
        return bool(self.references)


def read_dataset(path: str | Path, *, labelset: LabelSet, format: str = "auto",
                 require_text: bool = True) -> Dataset:
    """Read reports (and labels, if any) from ``path``.

    ``format`` is one of ``auto``, ``jsonl``, ``csv`` (id, text and CheXpert-coded label
    columns), ``iu`` (Open-i ``indiana_reports.csv``; labels from MeSH codes) or ``negbio``
    (the NegBio gold CSV; labels only). With ``require_text=False`` a file of labels alone is
    accepted (for references and predictions).
    """
    path = Path(path)
    if format in ("auto", "parquet") and path.is_file() and is_parquet(path):
        return _read_parquet(path, labelset=labelset, require_text=require_text)
    text = _read_text(path)
    kind = _detect_format(path, text) if format == "auto" else format
    if kind not in FORMATS[1:-1]:
        raise InputError(path, f"unknown format {format!r}; use one of {', '.join(FORMATS)}")
    if kind == "jsonl":
        dataset = read_jsonl_lines(path, jsonl_text_lines(text), labelset=labelset,
                                   require_text=require_text)
    else:
        rows, header = _csv_rows(path, text)
        if kind == "iu":
            dataset = _read_iu(path, rows, header, labelset=labelset)
        elif kind == "negbio":
            dataset = _read_negbio(path, rows, header, labelset=labelset)
        else:
            dataset = _read_csv(path, rows, header, labelset=labelset, require_text=require_text)
    if dataset.rows == 0:
        raise InputError(path, "no reports in the file (a header or blank lines only)")
    return dataset


class _Collector:
    """Accumulates reports and references, turning bad rows into ``RowError``s."""

    def __init__(self, path: Path, *, require_text: bool,
                 seen: dict[str, int] | None = None) -> None:
        self.dataset = Dataset(path=path)
        self.require_text = require_text
        self._seen: dict[str, int] = {} if seen is None else seen

    def add(
        self,
        row: int,
        report_id: str,
        text: str | None,
        *,
        states: Mapping[str, Finding] | None,
        binary_only: bool = False,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        path = self.dataset.path
        self.dataset.rows += 1
        if not report_id:
            self.dataset.problems.append(RowError(path, row, "empty id"))
            return
        if report_id in self._seen:
            self.dataset.problems.append(
                RowError(
                    path,
                    row,
                    f"duplicate id (first seen in row {self._seen[report_id]})",
                    report_id=report_id,
                )
            )
            return
        self._seen[report_id] = row
        if "\x00" in report_id or (text is not None and "\x00" in text):
            self.dataset.problems.append(
                RowError(path, row, "contains NUL bytes", report_id=report_id)
            )
            return
        if self.require_text:
            if text is None or not text.strip():
                self.dataset.problems.append(
                    RowError(path, row, "empty report text", report_id=report_id)
                )
                return
            self.dataset.reports.append(Report(id=report_id, text=text, meta=dict(meta or {})))
        if states is not None:
            self.dataset.references[report_id] = Findings(
                report_id=report_id, states=dict(states), binary_only=binary_only
            )

    def problem(self, row: int, message: str, report_id: str | None = None) -> None:
        self.dataset.rows += 1
        self.dataset.problems.append(
            RowError(self.dataset.path, row, message, report_id=report_id)
        )


def _label_columns(
    path: Path, columns: Iterable[str], labelset: LabelSet, *, where: str
) -> dict[str, str]:
    """Map each label column to a label id; a column that is no label is an error."""
    resolved: dict[str, str] = {}
    for column in columns:
        label = labelset.resolve(column)
        if label is None:
            raise InputError(
                path,
                f"column {column!r} is not a label of labelset {labelset.name!r} "
                f"(labels: {', '.join(labelset.ids)})",
                where=where,
            )
        resolved[column] = label.id
    return resolved


def _parse_states(
    raw: Mapping[str, Any], columns: Mapping[str, str]
) -> tuple[dict[str, Finding], str | None]:
    states: dict[str, Finding] = {}
    for column, label_id in columns.items():
        value = raw.get(column)
        evidence, attributes = None, Attributes()
        if isinstance(value, dict):
            evidence = _evidence(value)
            attributes = Attributes.from_json(value.get("attributes"))
            value = value.get("state")
        try:
            state = parse_state(value)
        except ValueError as exc:
            return states, f"column {column!r}: {exc}"
        if state is not State.NOT_MENTIONED:
            states[label_id] = Finding(state, evidence, attributes)
    return states, None


def _evidence(entry: Mapping[str, Any]) -> Evidence | None:
    if not entry.get("evidence"):
        return None
    start, end = entry.get("start"), entry.get("end")
    if isinstance(start, int) and isinstance(end, int):
        return Evidence(start, end, str(entry["evidence"]))
    return Evidence(-1, -1, str(entry["evidence"]))


def _read_csv(
    path: Path,
    rows: Iterator[tuple[int, dict[str, str]]],
    header: list[str],
    *,
    labelset: LabelSet,
    require_text: bool,
) -> Dataset:
    id_column = _pick_column(header, ID_COLUMNS)
    if id_column is None:
        raise InputError(path, f"no id column (expected one of {', '.join(ID_COLUMNS)})",
                         where="header")
    text_column = _pick_column(header, TEXT_COLUMNS)
    if text_column is None and require_text:
        raise InputError(
            path, f"no text column (expected one of {', '.join(TEXT_COLUMNS)})", where="header"
        )
    other = [c for c in header if c not in (id_column, text_column)
             and c.lower() not in META_COLUMNS]
    columns = _label_columns(path, other, labelset, where="header")
    collector = _Collector(path, require_text=require_text)
    for row, values in rows:
        states, problem = _parse_states(values, columns)
        report_id = values.get(id_column, "").strip()
        if problem:
            collector.problem(row, problem, report_id or None)
            continue
        meta = {c: values[c] for c in header if c.lower() in META_COLUMNS}
        text = values.get(text_column) if text_column else None
        collector.add(row, report_id, text, states=states if columns else None, meta=meta)
    return collector.dataset


def read_jsonl_lines(path: Path, lines: Sequence[str], *, labelset: LabelSet,
                     require_text: bool = True, first_line: int = 1,
                     seen: dict[str, int] | None = None) -> Dataset:
    """Read JSONL ``lines`` (of ``text_files.jsonl_text_lines``, from line ``first_line``) as
    ``read_dataset`` does; a part of a file after the ids in ``seen`` (id -> row, updated)."""
    collector = _Collector(path, require_text=require_text, seen=seen)
    for line_number, line in enumerate(lines, start=first_line):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            collector.problem(line_number, f"not valid JSON: {exc.msg} at column {exc.colno} "
                              f"(line starts {line.strip()[:40]!r})")
            continue
        _add_record(collector, line_number, record, labelset=labelset,
                    require_text=require_text)
    return collector.dataset


def _add_record(collector: _Collector, line_number: int, record: Any, *, labelset: LabelSet,
                require_text: bool) -> None:
    """Add one JSONL record (a JSONL line, or a Parquet row with a labels column)."""
    path = collector.dataset.path
    if not isinstance(record, dict):
        collector.problem(line_number, "a line must be a JSON object")
        return
    raw_id = record.get("id", record.get("report_id"))
    if raw_id is None:
        raise InputError(path, "no 'id' field", where=f"line {line_number}")
    if isinstance(raw_id, bool) or not isinstance(raw_id, str | int):
        collector.problem(line_number, f"id {json.dumps(raw_id)} is not a string or a whole "
                          "number; write ids as strings (\"id\": \"r1\")")
        return
    report_id = str(raw_id).strip()
    report_text = record.get("text")
    if require_text and "text" not in record:
        raise InputError(path, "no 'text' field", where=f"line {line_number}")
    raw_labels = record.get("labels", record.get("findings"))
    states = None
    if raw_labels is not None:
        if not isinstance(raw_labels, dict):
            collector.problem(line_number, "'labels' must be an object", report_id)
            return
        columns = _label_columns(path, raw_labels, labelset, where=f"line {line_number}")
        states, problem = _parse_states(raw_labels, columns)
        if problem:
            collector.problem(line_number, problem, report_id)
            return
    meta = {k: v for k, v in record.items()
            if k not in ("id", "report_id", "text", "labels", "findings")}
    text_value = None if report_text is None else str(report_text)
    collector.add(line_number, report_id, text_value, states=states, meta=meta)


def _read_parquet(path: Path, *, labelset: LabelSet, require_text: bool) -> Dataset:
    kind, header, rows = parquet_records(path)
    if kind == "csv":
        return _read_csv(path, iter(rows), header, labelset=labelset, require_text=require_text)
    collector = _Collector(path, require_text=require_text)
    for number, record in rows:
        _add_record(collector, number, record, labelset=labelset, require_text=require_text)
    return collector.dataset


def _mapped_states(
    positives: Iterable[str], mapping: LabelMapping
) -> dict[str, Finding]:
    states: dict[str, Finding] = {}
    for source_label in positives:
        for target in mapping.map.get(source_label, ()):
            states[target] = Finding(State.PRESENT)
    return states


def iu_report_text(findings: str, impression: str) -> str:
    """Join the IU ``findings`` and ``impression`` fields the way a report reads."""
    parts = []
    if findings.strip():
        parts.append(f"FINDINGS: {findings.strip()}")
    if impression.strip():
        parts.append(f"IMPRESSION: {impression.strip()}")
    return "\n".join(parts)


def _read_iu(
    path: Path, rows: Iterator[tuple[int, dict[str, str]]], header: list[str], *,
    labelset: LabelSet,
) -> Dataset:
    missing = {"uid", "MeSH", "findings", "impression"} - set(header)
    if missing:
        raise InputError(path, f"not an IU reports file: missing {sorted(missing)}",
                         where="header")
    mapping = load_mapping(IU_MESH_MAPPING)
    _check_target(path, mapping, labelset)
    collector = _Collector(path, require_text=True)
    collector.dataset.covered_labels = tuple(mapping.covered_targets())
    collector.dataset.uncertain_as = mapping.uncertain_as
    for row, values in rows:
        terms = [code.split("/", 1)[0].strip() for code in values["MeSH"].split(";")]
        collector.add(
            row,
            f"CXR{values['uid'].strip()}" if values["uid"].strip() else "",
            iu_report_text(values["findings"], values["impression"]),
            states=_mapped_states(terms, mapping),
            binary_only=True,
            meta={"mesh": values["MeSH"]},
        )
    return collector.dataset


def _read_negbio(
    path: Path, rows: Iterator[tuple[int, dict[str, str]]], header: list[str], *,
    labelset: LabelSet,
) -> Dataset:
    mapping = load_mapping(NEGBIO_MAPPING)
    _check_target(path, mapping, labelset)
    label_columns = [c for c in header if c != "filename"]
    unknown = [c for c in label_columns if c not in mapping.map]
    if unknown:
        raise InputError(path, f"column(s) {unknown} are not ChestX-ray14 findings",
                         where="header")
    collector = _Collector(path, require_text=False)
    collector.dataset.covered_labels = tuple(mapping.covered_targets())
    collector.dataset.uncertain_as = mapping.uncertain_as
    for row, values in rows:
        positives = []
        for column in label_columns:
            value = values.get(column, "").strip()
            if value not in ("0", "1"):
                collector.problem(row, f"column {column!r}: value {value!r} is not 0 or 1",
                                  values.get("filename"))
                break
            if value == "1":
                positives.append(column)
        else:
            collector.add(row, values.get("filename", "").strip(), None,
                          states=_mapped_states(positives, mapping), binary_only=True)
    return collector.dataset


def _check_target(path: Path, mapping: LabelMapping, labelset: LabelSet) -> None:
    if mapping.target != labelset.name:
        raise InputError(
            path,
            f"this file's labels map onto {mapping.target!r}, not {labelset.name!r}; "
            f"use --labelset {mapping.target}",
        )
