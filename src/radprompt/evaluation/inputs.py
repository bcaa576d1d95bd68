"""Reports to evaluate: read references and generated reports, pair them by report id.

A source is a file (JSONL or CSV with ``id`` and ``text``, anything ``read_dataset`` reads, or
``.txt`` with one report per line, numbered from 1), a list of texts (numbered from 1), or a
mapping of report id to text.

A JSONL or CSV reference file may also say who the patient is: ``age``, ``sex`` and
``indication`` columns (or, in JSONL, a ``context`` object with those keys). Metrics that read
patient context (``Metric.reads_context``) get it per pair.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Union

from radprompt.errors import InputError, RowError
from radprompt.labelset import LabelSet
from radprompt.reports import allow_long_csv_fields, read_dataset

__all__ = ["CONTEXT_KEYS", "PairedReports", "TextSource", "pair_reports", "read_contexts",
           "read_texts"]

CONTEXT_KEYS = ("age", "sex", "indication")
"""Patient context a reference file may carry per report."""

TextSource = Union[str, Path, Sequence[str], Mapping[str, str]]  # noqa: UP007 - used at runtime


def read_texts(source: TextSource, *, labelset: LabelSet) -> tuple[dict[str, str], list[RowError]]:
    """Report texts by id from a file, a list or a mapping; unusable rows are returned apart."""
    if isinstance(source, Mapping):
        return {str(key): str(value) for key, value in source.items()}, []
    if isinstance(source, (str, Path)):
        path = Path(source)
        if path.suffix.lower() == ".txt":
            return _read_lines(path), []
        dataset = read_dataset(path, labelset=labelset)
        return {report.id: report.text for report in dataset.reports}, list(dataset.problems)
    return {str(i): str(text) for i, text in enumerate(source, start=1)}, []


def _read_lines(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from exc
    if not any(line.strip() for line in lines):
        raise InputError(path, "the file is empty")
    return {str(i): line for i, line in enumerate(lines, start=1)}


def read_contexts(source: TextSource) -> dict[str, dict[str, Any]]:
    """Patient context by report id from a JSONL or CSV reference file (``age``, ``sex``,
    ``indication``); reports without any, and every other kind of source, give none."""
    if not isinstance(source, (str, Path)):
        return {}
    path = Path(source)
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
        rows = [{**row, **row["context"]} if isinstance(row.get("context"), dict) else row
                for row in rows if isinstance(row, dict)]
    elif suffix == ".csv":
        allow_long_csv_fields()
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        return {}
    contexts: dict[str, dict[str, Any]] = {}
    for row in rows:
        context = {key: row[key] for key in CONTEXT_KEYS if row.get(key) not in (None, "")}
        if context and row.get("id") is not None:
            contexts[str(row["id"])] = context
    return contexts


@dataclass
class PairedReports:
    """Reference and generated texts of the report ids every system has, in reference order."""

    ids: list[str]
    references: list[str]
    generated: dict[str, list[str]]
    problems: list[RowError] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    """Per system, the reference ids it has no report for (left out for every system)."""
    contexts: list[dict[str, Any]] | None = None
    """Per pair, the patient context the reference file gives (``None``: it gives none)."""


def pair_reports(
    *,
    references: TextSource,
    generated: Mapping[str, TextSource],
    labelset: LabelSet,
) -> PairedReports:
    """Read every source and keep the ids that the references and all systems share."""
    if not generated:
        raise ValueError("no generated reports: give at least one system")
    reference_texts, problems = read_texts(references, labelset=labelset)
    if not reference_texts:
        raise InputError(_where(references), "no usable reference reports")
    system_texts: dict[str, dict[str, str]] = {}
    for system, source in generated.items():
        texts, system_problems = read_texts(source, labelset=labelset)
        problems.extend(system_problems)
        system_texts[system] = texts
    dropped = {system: [i for i in reference_texts if i not in texts]
               for system, texts in system_texts.items()}
    ids = [i for i in reference_texts if all(i in texts for texts in system_texts.values())]
    if not ids:
        sample = next(iter(reference_texts))
        raise InputError(
            _where(references),
            f"no report id is shared by the references and every system (reference ids look "
            f"like {sample!r}); pair files by their id column, or give .txt files with one "
            "report per line in the same order",
        )
    contexts = read_contexts(references)
    return PairedReports(
        ids=ids,
        contexts=[contexts.get(i, {}) for i in ids] if contexts else None,
        references=[reference_texts[i] for i in ids],
        generated={system: [texts[i] for i in ids] for system, texts in system_texts.items()},
        problems=problems,
        dropped={system: missing for system, missing in dropped.items() if missing},
    )


def _where(source: TextSource) -> str:
    return str(source) if isinstance(source, (str, Path)) else "<references>"
