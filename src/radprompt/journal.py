"""An append-only record of finished reports, so that a killed extraction resumes.

Each finished report is one JSON line, flushed at once: its findings (the output format) with
the sha256 of the report text it was extracted from (``text_sha256``), or its failure
(``{"id", "failed", "raw_output"}``). The first line names the extractor configuration and the
input it read (``input``: the input file's resolved path); a journal of another configuration
or another input is refused rather than mixed in. On restart, ``done(texts=...)`` returns the
findings whose report text is unchanged: a report edited since is extracted again. Failed
reports are tried again (cached answers make that free when the failure was the answer, not the
network). A line torn by the kill is ignored.

``OutputLock`` holds an exclusive lock on the journal while an extraction writes it, so two
runs that write one output cannot interleave: the second is refused with who holds the lock.

Example::

    >>> journal = FindingsJournal(path="/tmp/radprompt-doc.partial.jsonl")
    >>> journal.discard()
    >>> with journal:
    ...     journal.record(Findings(report_id="r1"), text="No effusion.")
    >>> sorted(journal.done(texts={"r1": "No effusion."})), journal.done(texts={"r1": "Edema."})
    (['r1'], {})
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from radprompt.errors import InputError
from radprompt.extractors.base import ExtractionFailure, ExtractionResult
from radprompt.findings import Attributes, Evidence, Finding, Findings, State

__all__ = ["FindingsJournal", "OutputLock", "findings_from_json", "text_sha256"]

logger = logging.getLogger(__name__)


def findings_from_json(record: dict[str, Any]) -> Findings:
    """Read back one line of the JSONL findings format (``Findings.to_json``)."""
    states = {}
    for label_id, entry in (record.get("findings") or {}).items():
        evidence = None
        if entry.get("evidence") is not None and entry.get("start") is not None:
            evidence = Evidence(int(entry["start"]), int(entry["end"]), str(entry["evidence"]))
        attributes = Attributes.from_json(entry.get("attributes"))
        states[label_id] = Finding(State(entry["state"]), evidence, attributes)
    if record.get("flags") or record.get("review"):
        from radprompt.extractors.llm import LLMFindings
        from radprompt.llm.parsing import EvidenceFlag

        flags = tuple(EvidenceFlag(str(f["label"]), str(f["quote"]))
                      for f in record.get("flags") or ())
        downgraded = tuple(str(f["label"]) for f in record.get("flags") or ()
                           if f.get("kept_as") == "uncertain")
        return LLMFindings(report_id=str(record["id"]), states=states, flags=flags,
                           downgraded=downgraded, review=record.get("review"))
    return Findings(report_id=str(record["id"]), states=states)


def text_sha256(text: str) -> str:
    """The sha256 of a report's text, as the journal records it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FindingsJournal:
    """``path`` holds one line per finished report; ``record`` appends and flushes.

    ``fingerprint`` names the extractor configuration (see ``pipeline.extractor_fingerprint``)
    and ``input`` the input it reads; a journal written under other ones is refused rather
    than mixed in.
    """

    def __init__(self, *, path: str | Path, fingerprint: str = "", input: str = "") -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self.input = input
        self._handle: IO[str] | None = None

    def done(self, *, texts: Mapping[str, str] | None = None) -> dict[str, Findings]:
        """Findings recorded so far, by report id (a later line wins). With ``texts`` (report
        id -> current text) only findings extracted from that very text are returned."""
        found: dict[str, Findings] = {}
        hashes: dict[str, str | None] = {}
        if not self.path.is_file():
            return found
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    record = json.loads(line)
                    if "journal" in record:
                        self._check(record)
                    elif "failed" in record:
                        found.pop(str(record["id"]), None)
                    else:
                        report_id = str(record["id"])
                        found[report_id] = findings_from_json(record)
                        hashes[report_id] = record.get("text_sha256")
                except (ValueError, KeyError, TypeError, AttributeError):
                    logger.warning("%s line %d is incomplete; that report will be redone",
                                   self.path, number)
        if texts is None:
            return found
        return {report_id: findings for report_id, findings in found.items()
                if report_id in texts and hashes[report_id] == text_sha256(texts[report_id])}

    def _check(self, header: dict[str, Any]) -> None:
        if header["journal"] != self.fingerprint:
            raise InputError(self.path, "this unfinished run was made with another extractor "
                             "configuration; delete the file or start over (--restart)")
        if header.get("input", "") != self.input:
            raise InputError(self.path, f"this unfinished run read another input "
                             f"({header.get('input') or 'unknown'}); delete the file or start "
                             "over (--restart)")

    def __enter__(self) -> FindingsJournal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.is_file() or self.path.stat().st_size == 0
        self._handle = self.path.open("a", encoding="utf-8")
        if new:
            self._handle.write(json.dumps({"journal": self.fingerprint, "input": self.input})
                               + "\n")
            self._handle.flush()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def record(self, result: ExtractionResult, *, text: str | None = None) -> None:
        """Append ``result``; ``text`` is the report text it was extracted from."""
        if self._handle is None:
            raise RuntimeError("open the journal with 'with journal:' before recording")
        if isinstance(result, ExtractionFailure):
            line = {"id": result.report_id, "failed": result.reason,
                    "raw_output": result.raw_output}
        else:
            line = result.to_json()
            if text is not None:
                line["text_sha256"] = text_sha256(text)
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._handle.flush()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)


class OutputLock:
    """An exclusive, non-blocking lock on ``path`` (``path.lock`` beside it) for one process.

    ``with OutputLock(path=...)`` raises ``InputError`` naming the holder (process, host,
    start time, command) when another process holds it. The lock is the kernel's (``flock``):
    it ends with the process, so a killed run never leaves a stale lock.
    """

    def __init__(self, *, path: str | Path, purpose: str = "") -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.purpose = purpose
        self._descriptor: int | None = None

    def __enter__(self) -> OutputLock:
        import fcntl

        self.lock_path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(descriptor, 4096).decode("utf-8", "replace").strip()
                os.close(descriptor)
                who = holder or "holder unknown"
                raise InputError(self.path, f"is being written by another run ({who}); wait "
                                 "for it to finish or choose another --output") from None
            if _same_file(descriptor, self.lock_path):  # not unlinked by a finishing holder
                break
            os.close(descriptor)
        else:  # pragma: no cover - only under a storm of competing runs
            raise InputError(self.path, "could not take the lock; try again")
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:6]])
        holder = (f"pid {os.getpid()} on {socket.gethostname()} since "
                  f"{time.strftime('%Y-%m-%d %H:%M:%S')}: {command}")
        os.ftruncate(descriptor, 0)
        os.write(descriptor, holder.encode("utf-8"))
        self._descriptor = descriptor
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._descriptor is None:
            return
        self.lock_path.unlink(missing_ok=True)
        os.close(self._descriptor)  # closing releases the flock
        self._descriptor = None


def _same_file(descriptor: int, path: Path) -> bool:
    try:
        return os.fstat(descriptor).st_ino == path.stat().st_ino
    except FileNotFoundError:
        return False
