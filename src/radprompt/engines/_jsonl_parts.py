"""A JSONL input read by the worker processes themselves (``radprompt extract --workers N``).

Parsing and checking every line of a large JSONL file costs the one parent process about a
tenth of the rule engine's time on it, while the workers wait. Instead the parent keeps only
the file's lines (``JsonlLines``, shared with the forked workers), each worker reads its runs
of lines with the reader of one pass (``reports.read_jsonl_lines``) and extracts them, and the
parent puts the runs back together in input order (``JsonlParts``), with the same rows refused
for the same reasons as one pass over the file: an id is a duplicate when any earlier line
holds it, so a run whose ids met an earlier run's is read again here, against every id met
before it (rare: an id repeated far apart), and so is a run with an error that stops the
whole read ("no 'id' field"), which then stops it here with the same message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from radprompt.engines._records import result_record
from radprompt.engines.base import RecordsCallback
from radprompt.errors import InputError, RowError
from radprompt.extractors.base import Extractor, ProgressCallback
from radprompt.labelset import LabelSet
from radprompt.parquet import is_parquet
from radprompt.reports import Dataset, read_jsonl_lines
from radprompt.text_files import detect_format, jsonl_text_lines, read_text

__all__ = ["JsonlLines", "JsonlParts", "ReadAndExtract", "jsonl_lines"]


@dataclass(frozen=True)
class JsonlLines:
    """A JSONL input's lines (``text_files.jsonl_text_lines`` of the file, as ``read_dataset``
    reads it), to be read in the worker processes."""

    path: Path
    lines: Sequence[str]
    labelset: LabelSet
    require_text: bool = True

    @cached_property
    def rows(self) -> int:
        """Lines that hold something (what ``Dataset.rows`` counts)."""
        return sum(1 for line in self.lines if line.strip())

    def read(self, start: int, stop: int, *, seen: dict[str, int]) -> Dataset:
        """``read_dataset``'s reading of lines ``[start, stop)`` (a ``Dataset``), after the
        ids in ``seen``; raises its ``InputError`` for a line that stops the whole read."""
        return read_jsonl_lines(self.path, self.lines[start:stop], labelset=self.labelset,
                                require_text=self.require_text, first_line=start + 1,
                                seen=seen)


def jsonl_lines(path: str | Path, *, labelset: LabelSet,
                format: str = "auto") -> JsonlLines | None:
    """``path``'s lines when ``read_dataset`` would read it as JSONL, ``None`` for any other
    format (read in one pass then); a file that cannot be read raises as it does there."""
    path = Path(path)
    if format not in ("auto", "jsonl") or (format == "auto" and path.is_file()
                                           and is_parquet(path)):
        return None
    text = read_text(path)
    if format == "auto" and detect_format(path, text) != "jsonl":
        return None
    source = JsonlLines(path, jsonl_text_lines(text), labelset)
    if source.rows == 0:  # as read_dataset: every line that holds something is a row
        raise InputError(path, "no reports in the file (a header or blank lines only)")
    return source


@dataclass
class _Part:
    """What a worker sends back for one run of lines (all of it cheap to pickle)."""

    records: list[str] = field(default_factory=list)
    problems: list[tuple[int, str, str | None]] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    stopped: bool = False
    """A line stops the whole read (an ``InputError``): the parent reads the run again."""


class ReadAndExtract:
    """The workers' job for a JSONL input: read lines ``[start, stop)``, extract their
    reports, send back their records and the rows refused (with the ids met, for the parent's
    duplicate check across runs)."""

    def __init__(self, source: JsonlLines, extractor: Extractor) -> None:
        self.source, self.extractor = source, extractor

    def __call__(self, start: int, stop: int) -> _Part:
        part = _Part()
        try:
            data = self.source.read(start, stop, seen=part.seen)
        except InputError:
            return _Part(stopped=True)
        part.records = [result_record(result) for result in self.extractor.extract(data.reports)]
        part.problems, part.rows = _problems(data), data.rows
        return part


class JsonlParts:
    """The parent's side: ``add`` takes each run's part in input order, hands its records on
    and keeps its problems, exactly as one pass over the file reads them."""

    def __init__(self, source: JsonlLines, *, on_records: RecordsCallback,
                 progress: ProgressCallback | None) -> None:
        self.source, self.on_records, self.progress = source, on_records, progress
        self.seen: dict[str, int] = {}
        self.problems: list[RowError] = []
        self.rows = 0

    def add(self, task: tuple[int, int], part: _Part) -> None:
        if part.stopped or not self.seen.keys().isdisjoint(part.seen):
            part = self._read_again(task, part)
        else:
            self.seen.update(part.seen)
        path = self.source.path
        self.problems.extend(RowError(path, row, problem, report_id=report_id)
                             for row, problem, report_id in part.problems)
        self.rows += part.rows
        if part.records:
            self.on_records(part.records)
        if self.progress is not None:
            self.progress(part.rows)

    def _read_again(self, task: tuple[int, int], part: _Part) -> _Part:
        """A run read here after the ids of every run before it: its rows whose id came
        earlier are refused as duplicates, and the workers' records of them dropped."""
        data = self.source.read(*task, seen=self.seen)  # raises a stopping line's InputError
        if part.stopped:  # pragma: no cover - a worker's reading stops where this one does
            raise RuntimeError(f"a worker could not read lines {task[0] + 1}-{task[1]} of "
                               f"{self.source.path}, which this process read")
        kept = {report.id for report in data.reports}
        return _Part(records=[record for record in part.records
                              if str(json.loads(record)["id"]) in kept],
                     problems=_problems(data), rows=data.rows)


def _problems(data: Dataset) -> list[tuple[int, str, str | None]]:
    """A run's refused rows as plain values (a ``RowError`` does not survive pickling)."""
    return [(problem.row, problem.problem, problem.report_id) for problem in data.problems]
