"""An append-only record of finished reports, so that a killed extraction resumes.

Each finished report is one JSON line, flushed at once: its findings (the output format) or its
failure (``{"id", "failed", "raw_output"}``). On restart, ``done()`` returns the findings
already extracted; failed reports are tried again (cached answers make that free when the
failure was the answer, not the network). A line torn by the kill is ignored.

Example::

    >>> journal = FindingsJournal(path="/tmp/radprompt-doc.partial.jsonl")
    >>> journal.discard()
    >>> with journal:
    ...     journal.record(Findings(report_id="r1"))
    >>> sorted(journal.done())
    ['r1']
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import IO, Any

from radprompt.errors import InputError
from radprompt.extractors.base import ExtractionFailure, ExtractionResult
from radprompt.findings import Attributes, Evidence, Finding, Findings, State

__all__ = ["FindingsJournal", "findings_from_json"]

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
    if record.get("flags"):
        from radprompt.extractors.llm import LLMFindings
        from radprompt.llm.parsing import EvidenceFlag

        flags = tuple(EvidenceFlag(str(f["label"]), str(f["quote"])) for f in record["flags"])
        return LLMFindings(report_id=str(record["id"]), states=states, flags=flags)
    return Findings(report_id=str(record["id"]), states=states)


class FindingsJournal:
    """``path`` holds one line per finished report; ``record`` appends and flushes.

    ``fingerprint`` names the extractor configuration (see ``pipeline.extractor_fingerprint``);
    a journal written under another one is refused rather than mixed in.
    """

    def __init__(self, *, path: str | Path, fingerprint: str = "") -> None:
        self.path = Path(path)
        self.fingerprint = fingerprint
        self._handle: IO[str] | None = None

    def done(self) -> dict[str, Findings]:
        """Findings recorded so far, by report id (a later line wins)."""
        found: dict[str, Findings] = {}
        if not self.path.is_file():
            return found
        with self.path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    record = json.loads(line)
                    if "journal" in record:
                        self._check(record["journal"])
                    elif "failed" in record:
                        found.pop(str(record["id"]), None)
                    else:
                        found[str(record["id"])] = findings_from_json(record)
                except (ValueError, KeyError, TypeError, AttributeError):
                    logger.warning("%s line %d is incomplete; that report will be redone",
                                   self.path, number)
        return found

    def _check(self, fingerprint: str) -> None:
        if fingerprint != self.fingerprint:
            raise InputError(self.path, "this unfinished run was made with another extractor "
                             "configuration; delete the file or start over (--restart)")

    def __enter__(self) -> FindingsJournal:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new = not self.path.is_file() or self.path.stat().st_size == 0
        self._handle = self.path.open("a", encoding="utf-8")
        if new:
            self._handle.write(json.dumps({"journal": self.fingerprint}) + "\n")
            self._handle.flush()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def record(self, result: ExtractionResult) -> None:
        if self._handle is None:
            raise RuntimeError("open the journal with 'with journal:' before recording")
        if isinstance(result, ExtractionFailure):
            line = {"id": result.report_id, "failed": result.reason,
                    "raw_output": result.raw_output}
        else:
            line = result.to_json()
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        self._handle.flush()

    def discard(self) -> None:
        self.path.unlink(missing_ok=True)
