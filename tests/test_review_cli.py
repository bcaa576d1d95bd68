"""`radprompt review`: listing, showing, accepting, rejecting and editing proposals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from review_support import review_run
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.optimizers import Run, resume
from radprompt.review import (
    ReviewError,
    accept,
    list_proposals,
    proposal_view,
    score_edit,
    side_by_side,
    version_text,
)

runner = CliRunner()


@pytest.fixture
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return review_run(tmp_path_factory)


def test_lists_and_shows_a_pending_proposal(run: Run) -> None:
    listed = runner.invoke(app, ["review", str(run.path)])
    assert listed.exit_code == 0, listed.output
    assert "round-01" in listed.output and "pending" in listed.output
    shown = runner.invoke(app, ["review", str(run.path), "round-01"])
    assert shown.exit_code == 0, shown.output
    assert "+++ version" in shown.output and "per-label F1 on dev" in shown.output
    assert "reports it fixes" in shown.output and "rationale" in shown.output
    view = proposal_view(run, "round-01")
    assert view.pending and any(row.changed for row in view.labels)
    fixed = view.fixes[0]
    assert fixed.highlight and fixed.highlight in fixed.text_before + fixed.highlight
    rows = side_by_side(view.diff)
    assert rows[0].kind == "hunk"
    # every +/- line of the diff is in the side-by-side view, on its side
    diff = [line for line in view.diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = [line[1:] for line in diff if line.startswith("-")]
    added = [line[1:] for line in diff if line.startswith("+")]
    assert removed or added
    assert [row.left for row in rows if row.kind in ("change", "delete")] == removed
    assert [row.right for row in rows if row.kind in ("change", "insert")] == added


def test_accept_goes_to_the_audit_log_once(run: Run) -> None:
    result = runner.invoke(app, ["review", str(run.path), "round-01", "--accept",
                                 "--reviewer", "Dr. Ada Reviewer", "-c", "negation cues ok"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (run.path / "audit.jsonl").read_text().splitlines()]
    assert records[-1]["decision"] == "accepted"
    assert records[-1]["reviewer"] == "Dr. Ada Reviewer"
    assert records[-1]["comment"] == "negation cues ok"
    assert records[-1]["version"] == run.proposal("round-01").version
    again = runner.invoke(app, ["review", str(run.path), "round-01", "--reject",
                                "--reviewer", "Someone"])
    assert again.exit_code == 2 and "already" in again.output
    assert list_proposals(run, pending_only=True) == []
    outcome = resume(run.path)  # the loop picks the accepted version up
    assert outcome.run.manifest.current_version == records[-1]["version"]


def test_reject_and_reviewer_required(run: Run) -> None:
    with pytest.raises(ReviewError, match="reviewer"):
        accept(run, "round-01", reviewer="  ")
    result = runner.invoke(app, ["review", str(run.path), "round-01", "--reject",
                                 "--reviewer", "Dr. B", "-c", "too broad"])
    assert result.exit_code == 0, result.output
    assert run.status_of("round-01") == "rejected"


def test_edit_is_rescored_before_it_is_accepted(run: Run, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # the reviewer drops the first list item the proposal added, and keeps the others
    added = [line[1:] for line in run.proposal("round-01").diff.splitlines()
             if line.startswith("+") and line.lstrip("+ ").startswith("- ")]
    dropped, kept = added[0], added[1:]
    editor = tmp_path / "editor.py"
    editor.write_text("import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
                      f"p.write_text(p.read_text().replace({dropped + chr(10)!r}, '', 1))\n")
    monkeypatch.setenv("EDITOR", f"{sys.executable} {editor}")
    monkeypatch.delenv("VISUAL", raising=False)
    result = runner.invoke(app, ["review", str(run.path), "round-01", "--edit", "--yes",
                                 "--reviewer", "Dr. C", "-c", "sternum phrase too loose"])
    assert result.exit_code == 0, result.output
    assert "edited version" in result.output and "dev macro-F1" in result.output
    decision = run.decisions()[-1]
    assert decision.decision == "edited" and decision.reviewer == "Dr. C"
    assert decision.version != run.proposal("round-01").version
    text = version_text(run, decision.version)
    assert dropped + "\n" not in text and all(line in text for line in kept)
    edit = json.loads((run.path / "edits.jsonl").read_text().splitlines()[-1])
    assert edit["version"] == decision.version and 0 < edit["dev"]["macro_f1"] <= 1


def test_an_invalid_edit_is_refused(run: Run) -> None:
    with pytest.raises(ReviewError, match="not valid"):
        score_edit(run, "round-01", "labels: [unclosed")
    with pytest.raises(ReviewError, match="labelset"):
        score_edit(run, "round-01", "name: x\nlabels: 3\n")
    assert run.status_of("round-01") == "pending"


def test_help_has_examples() -> None:
    for verb in (["review"], ["serve"], ["export"], ["bundle", "verify"]):
        result = runner.invoke(app, [*verb, "--help"])
        assert result.exit_code == 0 and "radprompt" in result.output
