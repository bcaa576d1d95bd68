"""Where findings go: checking an output path before any work, and writing findings.

Example::

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_output_path(folder / "out.jsonl", inputs=[folder / "in.jsonl"])
    >>> check_output_path(folder / "in.jsonl", inputs=[folder / "in.jsonl"])
    Traceback (most recent call last):
    ...
    radprompt.errors.InputError: ...in.jsonl: --output would overwrite the input ...
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO

from radprompt.errors import InputError
from radprompt.findings import Findings
from radprompt.labelset import LabelSet
from radprompt.parquet import write_findings_table

__all__ = ["RecordsWriter", "check_output_path", "write_findings", "write_records"]


def check_output_path(path: str | Path, *, inputs: Iterable[str | Path] = (),
                      option: str = "--output", sidecars: Iterable[str] = ()) -> None:
    """Refuse an output that cannot be written, before any work: a folder, a parent that is a
    file or not writable, or a file that is (or whose ``sidecars`` suffixes are) an input."""
    path = Path(path)
    if path.is_dir():
        raise InputError(path, f"{option} is a folder; give a file name inside it, e.g. "
                         f"{path / 'findings.jsonl'}")
    targets = [path, *(path.with_name(path.name + suffix) for suffix in sidecars)]
    for source in inputs:
        source = Path(source)
        for target in targets:
            if target.resolve() == source.resolve() or (
                    target.exists() and source.exists() and target.samefile(source)):
                raise InputError(target, f"{option} would overwrite the input {source}; "
                                 "choose another output file")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise InputError(parent, f"is a file, so {path} cannot be written under it")
    try:  # a real write: permission bits say nothing for root or read-only mounts
        with tempfile.TemporaryFile(dir=parent):
            pass
    except OSError as exc:
        raise InputError(parent, f"folder is not writable ({exc.strerror}), so {path} cannot "
                         "be written") from None


def write_findings(path: str | Path, findings: Iterable[Findings], *, labelset: LabelSet) -> None:
    """Write findings as JSONL (with evidence), for ``.csv`` CheXpert-coded columns, or for
    ``.parquet`` a state column per label plus the JSONL record (``radprompt.parquet``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        write_findings_table(path, findings, labelset=labelset)
        return
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", *(label.name for label in labelset.labels)])
            for item in findings:
                writer.writerow(
                    [item.report_id, *(item.state(lab.id).chexpert_value
                                       for lab in labelset.labels)]
                )
        return
    with path.open("w", encoding="utf-8") as handle:
        for item in findings:
            handle.write(json.dumps(item.to_json(), ensure_ascii=False) + "\n")


class RecordsWriter:
    """``write_records`` for a JSONL output as the records come (``with RecordsWriter(path) as
    writer: writer.write(records)``), so that the process handing them on writes while its
    worker processes extract. They go to ``PATH.writing``, which becomes ``PATH`` only when
    the block ends without an error: a stopped run leaves no half-written output (a killed one
    leaves ``PATH.writing``, which the next run writes over)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.partial = self.path.with_name(self.path.name + ".writing")
        self.written = 0
        self._handle: IO[str] | None = None

    def __enter__(self) -> RecordsWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.partial.open("w", encoding="utf-8")
        return self

    def write(self, records: Sequence[str]) -> None:
        assert self._handle is not None, "use 'with RecordsWriter(path) as writer:'"
        self._handle.writelines(record + "\n" for record in records)
        self.written += len(records)

    def __exit__(self, error: type[BaseException] | None, *rest: object) -> None:
        assert self._handle is not None
        self._handle.close()
        if error is None:
            os.replace(self.partial, self.path)
        else:
            self.partial.unlink(missing_ok=True)


def write_records(path: str | Path, records: Sequence[str], *, labelset: LabelSet) -> None:
    """``write_findings`` for findings that are records already (the JSONL lines it writes, as
    worker processes hand them back: ``radprompt.engines``): JSONL gets them as they are, CSV
    and Parquet read them back."""
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq", ".csv"):
        from radprompt.journal import findings_from_json  # the journal imports the readers

        write_findings(path, (findings_from_json(json.loads(record)) for record in records),
                       labelset=labelset)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(record + "\n" for record in records)
