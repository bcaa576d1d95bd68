"""Parquet in and out (``pip install 'radprompt[parquet]'``: pyarrow, imported only when used).

Reports: a Parquet file is read like its JSONL or CSV twin. With a ``labels`` (or
``findings``) column, each row is a JSONL record (``id``, ``text``, ``labels`` as a struct, a
map or a JSON string); a ``record`` column (what ``write_findings`` writes) holds one JSONL
record per row as text; otherwise the columns are CSV columns (id, text, CheXpert-coded label
columns). Findings: ``id``, one state column per label (``present`` / ``absent`` /
``uncertain`` / ``not_mentioned``, for SQL and dataframes) and ``record``, the exact JSONL line
(evidence, attributes, flags), so nothing is lost.

Example::

    >>> import tempfile, pathlib
    >>> from radprompt.findings import Findings
    >>> from radprompt.labelset import load_labelset
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "findings.parquet"
    >>> write_findings_table(path, [Findings(report_id="r1")],
    ...                      labelset=load_labelset("chestxray21"))
    >>> table_rows(path)[0]["id"], table_rows(path)[0]["pneumothorax"]
    ('r1', 'not_mentioned')
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, require
from radprompt.findings import Findings
from radprompt.labelset import LabelSet

__all__ = ["MAGIC", "findings_columns", "is_parquet", "parquet_records", "table_rows",
           "write_findings_table", "write_rows"]

MAGIC = b"PAR1"


def is_parquet(path: Path) -> bool:
    """A ``.parquet`` name, or a file that starts with Parquet's magic bytes."""
    if path.suffix.lower() in (".parquet", ".pq"):
        return True
    try:
        with path.open("rb") as handle:
            return handle.read(4) == MAGIC
    except OSError:
        return False


def _pyarrow() -> Any:
    pyarrow = require("pyarrow", extra="parquet", needed_by="Parquet files")
    require("pyarrow.parquet", extra="parquet", needed_by="Parquet files")
    return pyarrow


def table_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of the Parquet file ``path`` as a dict (column name -> value)."""
    pyarrow = _pyarrow()
    try:
        table = pyarrow.parquet.read_table(path)
    except (OSError, pyarrow.ArrowException) as exc:
        raise InputError(path, f"not a readable Parquet file ({exc})") from None
    return list(table.to_pylist())


def parquet_records(path: Path) -> tuple[str, list[str], list[tuple[int, dict[str, Any]]]]:
    """The rows of a Parquet reports file, numbered from 1, as ``("jsonl", columns, records)``
    (a ``labels`` / ``findings`` / ``record`` column: JSONL records, JSON text parsed) or
    ``("csv", columns, rows)`` (every value as CSV text, blank for null)."""
    rows = table_rows(path)
    if not rows:
        raise InputError(path, "no reports in the file (no rows)")
    header = list(rows[0])
    if "record" in header:
        return "jsonl", header, [(n, _parsed(row["record"])) for n, row in enumerate(rows, 1)]
    if "labels" not in header and "findings" not in header:
        return "csv", header, [(n, {key: "" if value is None else str(value)
                                    for key, value in row.items()})
                               for n, row in enumerate(rows, 1)]
    records = []
    for number, row in enumerate(rows, start=1):
        for key in ("labels", "findings"):
            value = _parsed(row.get(key))
            row[key] = dict(value) if isinstance(value, list) else value  # a map column
        records.append((number, {key: value for key, value in row.items()
                                 if value is not None or key not in ("labels", "findings")}))
    return "jsonl", header, records


def _parsed(value: Any) -> Any:
    try:
        return json.loads(value) if isinstance(value, str) else value
    except json.JSONDecodeError:
        return value


def findings_columns(findings: Iterable[Findings], *,
                     labelset: LabelSet) -> dict[str, list[str]]:
    """Columns of the Parquet findings format: id, a state per label, the JSONL record."""
    columns: dict[str, list[str]] = {"id": []}
    columns.update({label.id: [] for label in labelset.labels})
    columns["record"] = []
    for item in findings:
        columns["id"].append(item.report_id)
        for label in labelset.labels:
            columns[label.id].append(item.state(label.id).value)
        columns["record"].append(json.dumps(item.to_json(), ensure_ascii=False))
    return columns


def write_findings_table(path: Path, findings: Iterable[Findings], *,
                         labelset: LabelSet) -> None:
    """Write findings as Parquet (see the module's description of the columns)."""
    write_rows(path, findings_columns(findings, labelset=labelset))


def write_rows(path: Path, columns: Mapping[str, Sequence[Any]]) -> None:
    """Write ``columns`` (name -> values, all of one length) to ``path`` as one Parquet file."""
    pyarrow = _pyarrow()
    table = pyarrow.table({name: pyarrow.array(list(values), type=pyarrow.string())
                           for name, values in columns.items()})
    pyarrow.parquet.write_table(table, path)
