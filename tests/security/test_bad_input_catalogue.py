"""Every case of the bad-input catalogue (``bad_inputs.CASES``) gives its one clear message
and its exit code, with no traceback; ``docs/bad-inputs.md`` is generated from the same table."""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_inputs import CASES, Case, prepare, render_markdown
from security_support import invoke

DOC = Path(__file__).resolve().parents[2] / "docs" / "bad-inputs.md"


def test_the_catalogue_is_large_and_named_uniquely() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 60 and len(set(names)) == len(names)


def test_the_document_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render_markdown(), (
        "docs/bad-inputs.md is out of date: run python scripts/bad_inputs_doc.py")


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                   socket_guard) -> None:
    if case.args[-1].startswith("/sys/") or "/sys/" in " ".join(case.args):
        if not Path("/sys").is_dir():
            pytest.skip("needs a read-only /sys (Linux)")
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    args, held = prepare(case, tmp_path)
    with held:
        result = invoke(*args)
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == case.exit, result.output
    assert " ".join(case.message.split()) in output, result.output
    assert "Traceback" not in result.output
    assert socket_guard.remote == []
