"""Run directories: one per optimize run, append-only, resumable. ``Run`` owns every file.

Layout::

    runs/<run-id>/
      manifest.json        configuration, status, current version, budget used
      versions/<hash>.*    every program version (a labelset YAML for the rule engine)
      proposals/<id>.json  every proposal (immutable once written)
      audit.jsonl          decisions on proposals (append-only)
      edits.jsonl          reviewers' edited versions, scored on dev (append-only)
      rounds.jsonl         per-round metrics (append-only)
      candidates/<n>.json  the revisions a round searched over (so a resume searches the same)
      optuna.db            the Optuna studies (one per round), viewable with optuna-dashboard
      cache.sqlite         the LLM request cache (LLM runs)
      log.txt              the run's log (no report text)
      plots/*.png
      run.lock             held (flock) by the process driving the run: pid, host, since

``manifest.json`` carries ``format_version`` (absent in runs written before version 2, which
still open: every key added since is optional).

Example::

    >>> run = Run.open("runs/20260101-chestxray21-rules")  # doctest: +SKIP
    >>> [p.id for p in run.pending()], run.manifest.status  # doctest: +SKIP
    (['round-02'], 'awaiting_review')
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from radprompt.errors import InputError
from radprompt.experiments import Experiment, load_experiment
from radprompt.extractors.base import Extractor
from radprompt.labelset import LabelSet, load_labelset
from radprompt.runs import locking
from radprompt.runs.proposal import Proposal
from radprompt.runs.records import Decision, Edit, Manifest, RoundRecord, ScoreSummary
from radprompt.runs.scoring import ExtractionScore, score_extraction
from radprompt.runs.versions import read_rules_version, rules_extractor
from radprompt.text_files import jsonl_text_lines

__all__ = ["Run", "VersionRecord", "list_runs"]

AUDIT_LOG = "audit.jsonl"
EDITS_LOG = "edits.jsonl"
ROUNDS_LOG = "rounds.jsonl"


@dataclass(frozen=True)
class VersionRecord:
    """A stored version as the run recorded it: its kind (``rules``: a labelset YAML,
    ``prompt``: a prompt program JSON), the version it came from, its dev scores."""

    version: str
    kind: str
    parent: str | None
    dev: ScoreSummary | None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Run:
    """A run directory. Files are only ever added or appended to, except the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._scores: dict[tuple[str, str], ExtractionScore] = {}

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
        run.write_manifest(Manifest.new(id=path.name, created=_now(), config=config))
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

    # --- manifest and configuration --------------------------------------------------------
    @property
    def manifest(self) -> Manifest:
        return Manifest.from_json(json.loads((self.path / "manifest.json").read_text("utf-8")))

    def write_manifest(self, manifest: Manifest) -> None:
        _atomic_write(self.path / "manifest.json", json.dumps(manifest.to_json(), indent=2) + "\n")

    def update_manifest(self, **changes: Any) -> Manifest:
        """Change manifest fields (``Manifest`` field names) and stamp the time."""
        manifest = self.manifest.with_changes(**changes, updated=_now())
        self.write_manifest(manifest)
        return manifest

    @cached_property
    def _labelset(self) -> LabelSet:
        return load_labelset(self.manifest.config["labelset"])

    def labelset(self) -> LabelSet:
        """The labelset the run's configuration names."""
        return self._labelset

    @cached_property
    def _experiment(self) -> Experiment:
        return load_experiment(self.manifest.config["experiment"], labelset=self.labelset())

    def experiment(self) -> Experiment:
        """The experiment (splits, gold sources) the run's configuration names."""
        return self._experiment

    # --- append-only logs ------------------------------------------------------------------
    def _append(self, name: str, record: dict[str, Any]) -> None:
        with (self.path / name).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _read_log(self, name: str) -> list[dict[str, Any]]:
        path = self.path / name
        if not path.is_file():
            return []
        records = []
        for line in jsonl_text_lines(path.read_text("utf-8")):
            if line.strip():
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError:
                    break  # a line cut short by a crash ends the log
        return records

    def append_round(self, record: RoundRecord) -> None:
        self._append(ROUNDS_LOG, record.to_json())

    def rounds(self) -> list[RoundRecord]:
        return [RoundRecord.from_json(r) for r in self._read_log(ROUNDS_LOG)]

    def record_edit(self, edit: Edit) -> None:
        self._append(EDITS_LOG, edit.to_json())

    def edits(self, proposal_id: str | None = None) -> list[Edit]:
        """The edited versions scored so far (of one proposal, or all)."""
        return [Edit.from_json(r) for r in self._read_log(EDITS_LOG)
                if proposal_id is None or r["proposal_id"] == proposal_id]

    # --- proposals and decisions -----------------------------------------------------------
    def write_proposal(self, proposal: Proposal) -> Path:
        path = self.path / "proposals" / f"{proposal.id}.json"
        if path.exists():
            raise FileExistsError(f"proposal {proposal.id} exists; proposals are immutable")
        _atomic_write(path, json.dumps(proposal.to_json(), indent=2) + "\n")
        return path

    def proposals(self) -> list[Proposal]:
        return [Proposal.from_json(json.loads(p.read_text("utf-8")))
                for p in sorted((self.path / "proposals").glob("*.json"))]

    def proposal(self, proposal_id: str) -> Proposal:
        path = self.path / "proposals" / f"{proposal_id}.json"
        if not path.is_file():
            raise InputError(path, f"no proposal {proposal_id!r} in run {self.path.name}")
        return Proposal.from_json(json.loads(path.read_text("utf-8")))

    def proposal_for(self, version: str) -> Proposal | None:
        """The proposal that proposed ``version``, if one did."""
        return next((p for p in self.proposals() if p.version == version), None)

    def record_decision(self, decision: Decision) -> None:
        self._append(AUDIT_LOG, {**decision.to_json(), "time": decision.time or _now()})

    def decisions(self) -> list[Decision]:
        return [Decision.from_json(record) for record in self._read_log(AUDIT_LOG)]

    def statuses(self) -> dict[str, str]:
        """The latest decision on each decided proposal (the audit log read once)."""
        return {d.proposal_id: d.decision for d in self.decisions()}

    def status_of(self, proposal_id: str) -> str:
        return self.statuses().get(proposal_id, "pending")

    def pending(self) -> list[Proposal]:
        statuses = self.statuses()
        return [p for p in self.proposals() if p.id not in statuses]

    def accepted_version(self) -> str:
        """The newest version a decision accepted (or edited in), else the current one."""
        version = str(self.manifest.current_version)
        for decision in self.decisions():
            if decision.approves and decision.version:
                version = decision.version
        return version

    def approvals(self, version: str) -> tuple[str, list[Decision]]:
        """How ``version`` was reviewed -- ``reviewed`` (a person accepted it),
        ``auto-approved``, ``rejected`` or ``unreviewed`` -- and the decisions that say so."""
        records = [d for d in self.decisions() if d.version == version]
        approvals = [d for d in records if d.approves]
        if any(not d.automatic for d in approvals):
            return "reviewed", records
        if approvals:
            return "auto-approved", records
        if any(d.decision == "rejected" for d in records):
            return "rejected", records
        return "unreviewed", records

    def version_record(self, version: str) -> VersionRecord:
        """What the run recorded of ``version`` (proposals and edits read once)."""
        kind = "prompt" if self.version_path(version).suffix == ".json" else "rules"
        parent: str | None = None
        dev: ScoreSummary | None = None
        proposed = False
        for proposal in self.proposals():
            if proposal.version == version:
                kind, parent, dev, proposed = (proposal.program_kind, proposal.parent,
                                               proposal.dev_after, True)
            elif proposal.parent == version and dev is None:
                dev = proposal.dev_before
        for edit in self.edits():
            if edit.version == version:
                dev = edit.dev
                parent = parent if proposed else edit.parent
        return VersionRecord(version=version, kind=kind, parent=parent, dev=dev)

    # --- versions and their scores ---------------------------------------------------------
    def version_path(self, version_hash: str) -> Path:
        matches = sorted((self.path / "versions").glob(f"{version_hash}*"))
        if not matches:
            raise InputError(self.path, f"no version {version_hash!r}")
        return matches[0]

    def score(self, version: str, split: str, *, extractor: Extractor | None = None,
              labelset: LabelSet | None = None) -> ExtractionScore:
        """``version`` scored on a split of the run's experiment (cached per run object).

        A rule-engine version builds its own extractor and scores with its own labelset; a
        prompt version needs its ``extractor`` (``PromptProgram.build_extractor``: it sends
        the reports to the run's model) and scores with the run's labelset.
        """
        key = (version, split)
        if key not in self._scores:
            if extractor is None:
                if self.version_record(version).kind != "rules":
                    raise ValueError(f"version {version} is a prompt: scoring it sends reports "
                                     "to a model, so pass its extractor")
                labelset, _ = read_rules_version(self.version_path(version))
                extractor = rules_extractor(labelset)
            chosen = extractor
            self._scores[key] = score_extraction(
                lambda reports: chosen.extract(reports), self.experiment().split(split),
                labelset=labelset or self.labelset())
        return self._scores[key]

    # --- locking ---------------------------------------------------------------------------
    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the run exclusively (see ``radprompt.runs.locking``)."""
        with locking.hold(self.path):
            yield

    def holder(self) -> dict[str, Any] | None:
        """Who holds the run's lock now (pid, host, since), or None when nobody does."""
        return locking.holder(self.path)

    @property
    def shown_status(self) -> str:
        """The status to show: a run marked running that nobody holds was killed."""
        status = self.manifest.status
        if status in ("running", "starting") and self.holder() is None:
            return "interrupted"
        return status

    @property
    def study_storage(self) -> str:
        return f"sqlite:///{(self.path / 'optuna.db').resolve()}"


def list_runs(root: Path) -> list[Run]:
    if not root.is_dir():
        return []
    return [Run(p) for p in sorted(root.iterdir()) if (p / "manifest.json").is_file()]


def _atomic_write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
