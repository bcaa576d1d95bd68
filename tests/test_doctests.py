"""Every docstring example in ``src/radprompt`` runs (the equivalent of ``--doctest-modules``,
one test per module, from the repository root as the examples' paths assume).

A module whose optional extra is not installed (``MissingExtraError``) is skipped, naming it.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

from radprompt.errors import MissingExtraError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "radprompt"
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__main__":
            continue  # running it is the CLI, not an example
        if parts[-1] == "__init__":
            parts.pop()
        if ">>>" in path.read_text(encoding="utf-8"):
            names.append(".".join(parts))
    return names


@pytest.mark.parametrize("name", _module_names())
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch,
                                tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    try:
        module = importlib.import_module(name)
    except MissingExtraError as exc:
        pytest.skip(str(exc))
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    for test in sorted(tests, key=lambda t: t.name):
        if test.filename and Path(test.filename).resolve().is_relative_to(PACKAGE):
            runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert not failed, f"{failed} of {attempted} docstring example(s) of {name} failed (above)"
