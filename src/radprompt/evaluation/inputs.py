"""Reports to evaluate: read references and generated reports, pair them by report id.

A source is a file (JSONL or CSV with ``id`` and ``text``, anything ``read_dataset`` reads, or
``.txt`` with one report per line, numbered from 1), a list of texts (numbered from 1), or a
mapping of report id to text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from radprompt.errors import InputError, RowError
from radprompt.labelset import LabelSet
from radprompt.reports import read_dataset

__all__ = ["PairedReports", "TextSource", "pair_reports", "read_texts"]

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


@dataclass
class PairedReports:
    """Reference and generated texts of the report ids every system has, in reference order."""

    ids: list[str]
    references: list[str]
    generated: dict[str, list[str]]
    problems: list[RowError] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    """Per system, the reference ids it has no report for (left out for every system)."""


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
    return PairedReports(
        ids=ids,
        references=[reference_texts[i] for i in ids],
        generated={system: [texts[i] for i in ids] for system, texts in system_texts.items()},
        problems=problems,
        dropped={system: missing for system, missing in dropped.items() if missing},
    )


def _where(source: TextSource) -> str:
    return str(source) if isinstance(source, (str, Path)) else "<references>"
