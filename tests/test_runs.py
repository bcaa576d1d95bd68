"""The typed run store: records keep the files' format, old runs open, one scoring path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radprompt.labelset import load_labelset
from radprompt.runs import (
    Decision,
    Edit,
    Manifest,
    Proposal,
    Run,
    ScoreSummary,
    VersionRecord,
)
from radprompt.runs.versions import labelset_yaml, version_hash

SCORES = {"n_reports": 2, "macro_f1": 0.5, "micro_f1": 0.6, "all_pass": False,
          "labels": [{"label_id": "edema", "name": "Edema", "support": 1, "threshold": 0.9,
                      "f1": 0.5, "verdict": "fail"}]}


def _format_1_run(root: Path) -> Run:
    """A run as version 1 wrote it: no format_version, no applied list, a proposal without
    change classes or guard results (synthetic content)."""
    path = root / "20250101-000000-chestxray21-rules"
    (path / "versions").mkdir(parents=True)
    (path / "proposals").mkdir()
    text = labelset_yaml(load_labelset("chestxray21"))
    version = version_hash(text)
    (path / "versions" / f"{version}.yaml").write_text(text, "utf-8")
    (path / "manifest.json").write_text(json.dumps({
        "id": path.name, "created": "2025-01-01T00:00:00+00:00", "status": "awaiting_review",
        "config": {"labelset": "chestxray21", "experiment": "demo"}, "round": 1,
        "history": [], "initial_version": version, "current_version": version,
        "legacy_key": "kept"}))
    (path / "proposals" / "round-01.json").write_text(json.dumps({
        "id": "round-01", "round": 1, "parent": version, "version": "abc", "diff": "",
        "revisions": [], "revision_keys": ["k1"], "rationale": "why (synthetic)",
        "dev_before": SCORES, "dev_after": SCORES, "fixes": [], "breaks": []}))
    return Run.open(path)


def test_a_run_of_format_1_opens_and_keeps_unknown_keys(tmp_path: Path) -> None:
    run = _format_1_run(tmp_path)
    manifest = run.manifest
    assert manifest.format_version is None and manifest.applied is None
    assert manifest.extra == {"legacy_key": "kept"}
    [proposal] = run.pending()
    assert proposal.changes == () and proposal.guard_examples is None
    assert proposal.format_version is None and proposal.dev_after.labels[0].name == "Edema"
    assert run.proposal_for("abc") == proposal and run.proposal_for("nope") is None
    run.update_manifest(status="finished")
    written = json.loads((run.path / "manifest.json").read_text())
    assert written["legacy_key"] == "kept" and written["status"] == "finished"
    assert "format_version" not in written and "applied" not in written  # not invented


def test_records_round_trip_key_for_key(tmp_path: Path) -> None:
    run = Run.create(tmp_path, name="t", config={"labelset": "chestxray21",
                                                 "experiment": "demo"})
    assert run.manifest.format_version == 2 and run.manifest.applied == ()
    proposal = Proposal.from_json({
        "format_version": 2, "id": "round-01", "round": 1, "program_kind": "rules",
        "parent": "p", "version": "v", "diff": "", "revisions": [{"kind": "add_phrase"}],
        "revision_keys": ["k"], "settings": {}, "needs_review": None, "rationale": "",
        "changes": [{"class": "narrowing", "description": "d", "label_id": "edema",
                     "core_term": False}],
        "dev_before": SCORES, "dev_after": SCORES,
        "significance": {"gain": 0.1, "p_value": 0.01, "how": "bootstrap"},
        "guard_gold": {"g": {"before": 0.5, "after": 0.6}},
        "guard_examples": {"total": 3, "passed": 3, "parent_passed": 3, "broken": [],
                           "failures": []},
        "fixes": [{"report_id": "r", "label_id": "edema", "reference": "present",
                   "before": "absent", "after": "present", "sentence": "s", "span": [0, 1]}],
        "breaks": []})
    run.write_proposal(proposal)
    assert run.proposal("round-01") == proposal
    assert proposal.narrowed_labels == {"edema"}
    with pytest.raises(FileExistsError):
        run.write_proposal(proposal)
    run.record_decision(Decision("round-01", "accepted", reviewer="Dr. T (synthetic)",
                                 version="v"))
    assert run.pending() == [] and run.statuses() == {"round-01": "accepted"}
    assert run.approvals("v")[0] == "reviewed"
    edit = Edit(proposal_id="round-01", version="e", parent="p", diff="",
                dev=ScoreSummary.from_json(SCORES), reviewer="Dr. T", time="t")
    run.record_edit(edit)
    (run.path / "versions" / "e.yaml").write_text("name: edited (synthetic)\n")
    (run.path / "versions" / "v.yaml").write_text("name: proposed (synthetic)\n")
    assert run.edits("round-01") == [edit]
    assert run.version_record("e") == VersionRecord(version="e", kind="rules", parent="p",
                                                    dev=edit.dev)
    assert run.version_record("v").dev == proposal.dev_after


def test_unknown_manifest_fields_are_refused(tmp_path: Path) -> None:
    run = Run.create(tmp_path, name="t", config={})
    with pytest.raises(TypeError, match="unknown manifest field"):
        run.update_manifest(curent_version="x")
    assert Manifest.from_json(json.loads((run.path / "manifest.json").read_text())).status == (
        "starting")


def test_a_version_is_scored_once_per_split(tmp_path: Path) -> None:
    run = _format_1_run(tmp_path)
    version = str(run.manifest.current_version)
    first = run.score(version, "dev")
    assert first.report.n_reports > 0 and not first.failures
    assert run.score(version, "dev") is first  # cached: the second call extracts nothing
    with pytest.raises(ValueError, match="is a prompt"):
        (run.path / "versions" / "p1.json").write_text("{}")
        run.score("p1", "dev")
