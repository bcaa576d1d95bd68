"""Reading the text files users give: UTF-8 text with clear errors for binary formats, the
input format from the content, CSV rows with long fields allowed (a report is one field).

Example::

    >>> from pathlib import Path
    >>> detect_format(Path("notes.txt"), "id,text\\nr1,No effusion.\\n")
    'csv'
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from radprompt.errors import InputError

__all__ = ["CSV_FIELD_LIMIT", "allow_long_csv_fields", "csv_rows", "detect_format",
           "jsonl_text_lines", "pick_column", "read_text"]

CSV_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)
"""Longest CSV field read (characters): a report is one field; the csv default is 128 KiB."""


def allow_long_csv_fields() -> None:
    """Raise the csv module's field limit to ``CSV_FIELD_LIMIT`` (never lower it); called by
    the CSV readers when they read, not when this module is imported."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)


def read_text(path: Path) -> str:
    if not path.exists():
        raise InputError(path, "file not found")
    if not path.is_file():
        raise InputError(path, "not a regular file")
    data = path.read_bytes()
    if not data.strip():
        raise InputError(path, "the file is empty")
    for magic, kind in _BINARY_FORMATS:
        if data.startswith(magic):
            raise InputError(path, f"a {kind} file, which radprompt does not read; convert it "
                             "to JSONL (one object per line with id and text) or CSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            path,
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8",
            where=f"line {line}",
        ) from exc


def jsonl_text_lines(text: str) -> list[str]:
    r"""The lines of a JSONL text, split at line feeds only (a ``\r`` before one is dropped).

    ``str.splitlines`` also splits at U+2028, U+2029, U+0085 and other Unicode line breaks,
    which JSON written with ``ensure_ascii=False`` keeps raw inside a string: a valid record
    would be cut in two refused rows.

        >>> jsonl_text_lines('{"text": "a\u2028b"}\r\n{}\n')
        ['{"text": "a\u2028b"}', '{}']
    """
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


_BINARY_FORMATS = ((b"PAR1", "Parquet"), (b"PK\x03\x04", "zip (or Excel)"),
                   (b"\x1f\x8b", "gzip"), (b"SQLite format 3", "SQLite"))


def detect_format(path: Path, text: str) -> str:
    if text.lstrip().startswith("["):
        raise InputError(path, "a JSON array; radprompt reads JSON Lines: one object per line "
                         "with id and text (e.g. jq -c '.[]' file.json > file.jsonl)",
                         where="line 1")
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    first_line = text.lstrip().split("\n", 1)[0]
    if first_line.startswith("{"):
        return "jsonl"
    header = {column.strip().lower() for column in next(csv.reader([first_line]), [])}
    if {"uid", "mesh", "findings", "impression"} <= header:
        return "iu"
    if "filename" in header and "effusion" in header:
        return "negbio"
    return "csv"


def csv_rows(path: Path, text: str) -> tuple[Iterator[tuple[int, dict[str, str]]], list[str]]:
    allow_long_csv_fields()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip() for column in next(reader)]
    except csv.Error as exc:
        raise InputError(path, f"malformed CSV header: {exc}", where="line 1") from exc
    if len(set(header)) != len(header):
        duplicated = sorted({c for c in header if header.count(c) > 1})
        raise InputError(path, f"duplicate column(s) {duplicated}", where="header")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        row_number = 1
        while True:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise InputError(
                    path, f"malformed CSV: {exc}", where=f"line {reader.line_num}"
                ) from exc
            row_number += 1
            if not any(v.strip() for v in values):
                continue
            yield row_number, dict(zip(header, values, strict=False))

    return rows(), header


def pick_column(header: Iterable[str], candidates: tuple[str, ...]) -> str | None:
    lowered = {column.lower(): column for column in header}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    return None
