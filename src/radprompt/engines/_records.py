"""What every engine shares: cutting reports into runs, and results as records.

A record is one result as a line of the JSONL findings format (``Findings.to_json`` dumped
with ``ensure_ascii=False``, the journal's and the output's line), or for a failure
``{"id", "failed", "raw_output"}``. Workers hand records back: a line of text crosses a
process boundary in microseconds, where a report's findings as objects cost about 40% of
their extraction to rebuild, and ``radprompt extract`` writes the lines as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from radprompt.extractors.base import ExtractionFailure, ExtractionResult
from radprompt.journal import findings_from_json

__all__ = ["InOrder", "each_result", "is_failure_record", "result_from_record", "result_record",
           "spans", "with_id"]

_encode = json.JSONEncoder(ensure_ascii=False).encode
"""``json.dumps(line, ensure_ascii=False)`` without building an encoder for every record."""


def spans(count: int, size: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of consecutive runs of ``size`` items out of ``count`` (the last one
    shorter): the chunks of the worker processes, the shards of Ray."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def result_record(result: ExtractionResult) -> str:
    """One result as its record (without the newline)."""
    if isinstance(result, ExtractionFailure):
        line: dict[str, Any] = {"id": result.report_id, "failed": result.reason,
                                "raw_output": result.raw_output}
    else:
        line = result.to_json()
    return _encode(line)


def result_from_record(record: str) -> ExtractionResult:
    """The result a record was written from."""
    data = json.loads(record)
    if "failed" in data:
        return ExtractionFailure(report_id=str(data["id"]), reason=str(data["failed"]),
                                 raw_output=data.get("raw_output"))
    return findings_from_json(data)


def is_failure_record(record: str) -> bool:
    """Whether a record is a failure's (parsed only when it may be: inside a findings record a
    quote is escaped, so ``"failed"`` appears there only as a key)."""
    return '"failed"' in record and "failed" in json.loads(record)


class InOrder:
    """Hands runs of records on in input order: a run that arrives before an earlier one (a
    Ray shard, an LLM answer) waits for it. ``next`` is the index the next hand-on needs."""

    def __init__(self, on_records: Callable[[Sequence[str]], None]) -> None:
        self.on_records = on_records
        self.next = 0
        self.waiting: dict[int, Sequence[str]] = {}

    def add(self, index: int, records: Sequence[str]) -> None:
        self.waiting[index] = records
        while self.next in self.waiting:
            self.on_records(self.waiting.pop(self.next))
            self.next += 1


def each_result(
    on_result: Callable[[ExtractionResult], None],
) -> Callable[[Sequence[str]], None]:
    """An ``on_records`` that hands each record on to ``on_result`` as its result (``run`` of
    an engine whose workers return records)."""
    def hand_on(records: Sequence[str]) -> None:
        for record in records:
            on_result(result_from_record(record))

    return hand_on


def with_id(record: str, *, old: str, new: str) -> str:
    """A record of report ``old`` as the record of report ``new`` (the same text)."""
    prefix = '{"id": ' + _encode(old)
    if record.startswith(prefix):
        return '{"id": ' + _encode(new) + record[len(prefix):]
    data = json.loads(record)  # pragma: no cover - every record starts with its id
    data["id"] = new
    return _encode(data)  # pragma: no cover
