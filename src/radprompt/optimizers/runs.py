"""Run directories: one per optimize run, append-only, resumable.

Layout::

    runs/<run-id>/
      manifest.json        configuration, status, current version, budget used
      versions/<hash>.*    every program version (a labelset YAML for the rule engine)
      proposals/<id>.json  every proposal (immutable once written)
      audit.jsonl          decisions on proposals (append-only)
      rounds.jsonl         per-round metrics (append-only)
      candidates/<n>.json  the revisions a round searched over (so a resume searches the same)
      optuna.db            the Optuna studies (one per round), viewable with optuna-dashboard
      cache.sqlite         the LLM request cache (LLM runs)
      log.txt              the run's log (no report text)
      plots/*.png
      run.lock             held (flock) by the process driving the run: pid, host, since

``manifest.json`` carries ``format_version`` (absent in runs written before version 2, which
still open: every key added since is optional).
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radprompt.errors import InputError, RadpromptError

__all__ = ["RUN_FORMAT", "Decision", "Run", "RunLockedError", "list_runs"]

RUN_FORMAT = 2
"""Format version of a run directory (1: no ``format_version`` key, no lock, no change
classes, guard results or transfer report)."""
LOCK_FILE = "run.lock"


class RunLockedError(RadpromptError):
    """Another process drives this run."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Decision:
    proposal_id: str
    decision: str  # accepted | rejected | edited
    reviewer: str
    comment: str = ""
    time: str = ""
    automatic: bool = False
    version: str | None = None  # the accepted (or edited) version's hash


class Run:
    """A run directory. Files are only ever added or appended to, except the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # --- creation and lookup --------------------------------------------------------------
    @classmethod
    def create(cls, root: Path, *, name: str, config: dict[str, Any]) -> Run:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = root / f"{stamp}-{name}"
        suffix = 1
        while path.exists():
            suffix += 1
            path = root / f"{stamp}-{name}-{suffix}"
        (path / "versions").mkdir(parents=True)
        (path / "proposals").mkdir()
        (path / "candidates").mkdir()
        run = cls(path)
        run.write_manifest({"format_version": RUN_FORMAT, "id": path.name, "created": _now(),
                            "status": "starting", "applied": [],
                            "config": config, "round": 0, "history": []})
        return run

    @classmethod
    def open(cls, path: str | Path) -> Run:
        path = Path(path)
        if not (path / "manifest.json").is_file():
            candidate = Path("runs") / path
            if (candidate / "manifest.json").is_file():
                path = candidate
            else:
                raise InputError(path, "not a run directory (no manifest.json)")
        return cls(path)

    # --- manifest -------------------------------------------------------------------------
    @property
    def manifest(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "manifest.json").read_text("utf-8"))
        return data

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        _atomic_write(self.path / "manifest.json", json.dumps(manifest, indent=2) + "\n")

    def update_manifest(self, **changes: Any) -> dict[str, Any]:
        manifest = self.manifest
        manifest.update(changes)
        manifest["updated"] = _now()
        self.write_manifest(manifest)
        return manifest

    # --- append-only records ---------------------------------------------------------------
    def append(self, name: str, record: dict[str, Any]) -> None:
        with (self.path / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def read_records(self, name: str) -> list[dict[str, Any]]:
        path = self.path / name
        if not path.is_file():
            return []
        records = []
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a line cut short by a crash ends the log
        return records

    def rounds(self) -> list[dict[str, Any]]:
        return self.read_records("rounds.jsonl")

    # --- proposals and decisions -----------------------------------------------------------
    def write_proposal(self, proposal: dict[str, Any]) -> Path:
        path = self.path / "proposals" / f"{proposal['id']}.json"
        if path.exists():
            raise FileExistsError(f"proposal {proposal['id']} exists; proposals are immutable")
        _atomic_write(path, json.dumps(proposal, indent=2) + "\n")
        return path

    def proposals(self) -> list[dict[str, Any]]:
        return [json.loads(p.read_text("utf-8"))
                for p in sorted((self.path / "proposals").glob("*.json"))]

    def proposal(self, proposal_id: str) -> dict[str, Any]:
        path = self.path / "proposals" / f"{proposal_id}.json"
        if not path.is_file():
            raise InputError(path, f"no proposal {proposal_id!r} in run {self.path.name}")
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    def record_decision(self, decision: Decision) -> None:
        record = {**decision.__dict__, "time": decision.time or _now()}
        self.append("audit.jsonl", record)

    def decisions(self) -> list[Decision]:
        return [Decision(**record) for record in self.read_records("audit.jsonl")]

    def status_of(self, proposal_id: str) -> str:
        latest = "pending"
        for decision in self.decisions():
            if decision.proposal_id == proposal_id:
                latest = decision.decision
        return latest

    def accepted_version(self) -> str:
        """The newest version a decision accepted (or edited in), else the current one."""
        version = str(self.manifest["current_version"])
        for decision in self.decisions():
            if decision.decision in ("accepted", "edited") and decision.version:
                version = decision.version
        return version

    def pending(self) -> list[dict[str, Any]]:
        return [p for p in self.proposals() if self.status_of(p["id"]) == "pending"]

    # --- locking ---------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run exclusively (an advisory ``flock`` the kernel drops when the process
        dies, even by kill -9); raise ``RunLockedError`` naming the holder if another has it."""
        path = self.path / LOCK_FILE
        handle = path.open("a+", encoding="utf-8")
        try:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = self.holder() or {}
                raise RunLockedError(
                    f"run {self.path} is in use by process {holder.get('pid', '?')} on "
                    f"{holder.get('host', '?')} since {holder.get('since', '?')}; wait for it "
                    "to finish (or stop it) before resuming") from None
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                     "since": _now()}) + "\n")
            handle.flush()
            yield
        finally:
            handle.close()

    def holder(self) -> dict[str, Any] | None:
        """Who holds the run's lock now (pid, host, since), or None when nobody does."""
        path = self.path / LOCK_FILE
        if not path.is_file():
            return None
        with path.open("r", encoding="utf-8") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    data: dict[str, Any] = json.loads(handle.read() or "{}")
                except json.JSONDecodeError:
                    data = {}
                return data
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return None

    @property
    def shown_status(self) -> str:
        """The status to show: a run marked running that nobody holds was killed."""
        status = str(self.manifest.get("status", "unknown"))
        if status in ("running", "starting") and self.holder() is None:
            return "interrupted"
        return status

    # --- misc ------------------------------------------------------------------------------
    @property
    def study_storage(self) -> str:
        return f"sqlite:///{(self.path / 'optuna.db').resolve()}"

    def version_path(self, version_hash: str) -> Path:
        matches = sorted((self.path / "versions").glob(f"{version_hash}*"))
        if not matches:
            raise InputError(self.path, f"no version {version_hash!r}")
        return matches[0]


def list_runs(root: Path) -> list[Run]:
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir()) if (p / "manifest.json").is_file()]


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
