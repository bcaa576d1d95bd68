"""Structure checks anyone can run: layering, module and function size, repeated code.

- Imports go downward only (DESIGN.md's layers, ``LAYERS`` below): a module-level import of a
  higher layer fails, and so does any import cycle between modules at module level.
- No library module imports ``radprompt.cli`` or ``radprompt.testing`` (at any level).
- Every module is under ``MAX_MODULE_LINES`` lines and every function under
  ``MAX_FUNCTION_LINES``, except where a ``# long: <why>`` comment on the ``def`` line, or the
  line above it (the module's first lines for a module), says why.
- No block of more than ``MAX_REPEATED`` significant lines (blank lines and comments left out)
  appears twice in ``src/`` (an equivalent of pylint's duplicate-code check).
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "radprompt"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
MAX_REPEATED = 10
WHY = re.compile(r"#\s*long:\s*\S")

LAYERS: tuple[frozenset[str], ...] = tuple(frozenset(layer.split()) for layer in (
    "errors resources languages text_files",
    "guard_examples vocabulary",
    "labelset",
    "findings outputs parquet",
    "reports scoring prompts",
    "llm",
    "extractors journal guards engines experiments",
    "metrics runs bundles bundle bundle_signing bundle_loading",
    "optimizers review evaluation significance radjudge",
    "pipeline export export_formats",
    "testing",
    "cli __main__ radprompt",
))
"""Top-level parts of the package, lowest first (DESIGN.md: cli -> library verbs ->
optimizers / review / evaluation / significance -> runs, bundles, metrics, extractors -> llm ->
prompts, findings, reports, scoring -> labelset). A module may import its own layer's and lower
layers' modules at module level; ``radprompt`` is the package's ``__init__``."""


@dataclass(frozen=True)
class Import:
    source: str
    target: str
    line: int
    module_level: bool


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _part(module: str) -> str:
    """The top-level part a module belongs to (``radprompt.metrics.bleu`` -> ``metrics``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "radprompt"


def _layer(part: str) -> int:
    for rank, layer in enumerate(LAYERS):
        if part in layer:
            return rank
    raise AssertionError(f"radprompt.{part} is in no layer of tests/test_architecture.py: add it "
                         "to LAYERS where DESIGN.md puts it")


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _target(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _walk_imports(node: ast.AST, module: str, is_package: bool,
                  module_level: bool) -> Iterator[Import]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _walk_imports(child, module, is_package, False)
        elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
            continue  # annotations only: never executed
        elif isinstance(child, ast.Import):
            yield from (Import(module, alias.name, child.lineno, module_level)
                        for alias in child.names if alias.name.startswith("radprompt"))
        elif isinstance(child, ast.ImportFrom):
            target = _target(child, module, is_package)
            if target.startswith("radprompt"):
                names = [f"{target}.{alias.name}" for alias in child.names]
                # ``from radprompt.pkg import submodule`` imports the submodule
                found = [name for name in names if name in _modules()] or [target]
                yield from (Import(module, name, child.lineno, module_level) for name in found)
        else:
            yield from _walk_imports(child, module, is_package, module_level)


@cache
def _imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for module, path in _modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        found.extend(_walk_imports(tree, module, path.name == "__init__.py", True))
    return tuple(found)


def _where(module: str, line: int) -> str:
    return f"{_modules()[module].relative_to(SRC.parent)}:{line}"


def test_module_level_imports_go_downward() -> None:
    upward = [f"{_where(i.source, i.line)} imports {i.target} (layer {_layer(_part(i.target))} "
              f"above {_layer(_part(i.source))})"
              for i in _imports() if i.module_level
              and _layer(_part(i.target)) > _layer(_part(i.source))]
    assert not upward, "module-level imports go upward:\n" + "\n".join(upward)


def test_no_library_module_imports_the_cli_or_the_fake_server() -> None:
    library = [i for i in _imports() if _part(i.source) not in ("cli", "__main__", "testing")]
    wrong = [f"{_where(i.source, i.line)} imports {i.target}" for i in library
             if _part(i.target) in ("cli", "testing")]
    assert not wrong, "library modules import the CLI or radprompt.testing:\n" + "\n".join(wrong)


def _owner(target: str) -> str | None:
    """The module an import target names (or the module a name in it belongs to)."""
    while target and target not in _modules():
        target = target.rpartition(".")[0]
    return target or None


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == start:
                return [*path, start]
            if nxt not in seen:
                seen.add(nxt)
                stack.append((nxt, [*path, nxt]))
    return None


def test_no_import_cycles_at_module_level() -> None:
    graph: dict[str, set[str]] = defaultdict(set)
    for i in _imports():
        owner = _owner(i.target)
        if i.module_level and owner and owner != i.source:
            # a package's __init__ importing its own submodules is how re-exports work
            if not (i.source and owner.startswith(i.source + ".")
                    and _modules()[i.source].name == "__init__.py"):
                graph[i.source].add(owner)
    cycles = {" -> ".join(cycle) for module in sorted(graph)
              if (cycle := _cycle_from(module, graph))}
    assert not cycles, "import cycles:\n" + "\n".join(sorted(cycles))


def _has_why(lines: list[str], line: int) -> bool:
    """A ``# long: <why>`` comment on line ``line`` (1-based), the line above or, for a
    decorated function, above the decorators."""
    index = line - 1
    while index > 0 and lines[index - 1].lstrip().startswith("@"):
        index -= 1
    return any(WHY.search(lines[i]) for i in (index - 1, index, line - 1) if 0 <= i < len(lines))


def test_modules_are_under_400_lines() -> None:
    long = []
    for module, path in _modules().items():
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) >= MAX_MODULE_LINES and not any(WHY.search(x) for x in lines[:30]):
            long.append(f"{path.relative_to(SRC.parent)}: {len(lines)} lines ({module})")
    assert not long, f"modules of {MAX_MODULE_LINES} lines or more:\n" + "\n".join(long)


def test_functions_are_under_60_lines() -> None:
    long = []
    for path in _modules().values():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size >= MAX_FUNCTION_LINES and not _has_why(lines, node.lineno):
                    long.append(f"{path.relative_to(SRC.parent)}:{node.lineno} "
                                f"{node.name}: {size} lines")
    assert not long, (f"functions of {MAX_FUNCTION_LINES} lines or more without a "
                      "'# long: <why>' comment:\n" + "\n".join(long))


def _significant_lines(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of the lines that carry code: no blanks, comments or docstrings."""
    text = path.read_text(encoding="utf-8")
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.update(range(body[0].lineno, (body[0].end_lineno or 0) + 1))
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)
            if line.strip() and not line.strip().startswith("#") and number not in docstrings
            and not line.strip().startswith(("import ", "from "))]


def test_no_block_of_more_than_10_lines_is_repeated() -> None:
    window = MAX_REPEATED + 1
    seen: dict[tuple[str, ...], tuple[Path, int, int]] = {}
    repeated: dict[tuple[str, int], str] = {}
    for path in _modules().values():
        lines = _significant_lines(path)
        last_end = 0
        for start in range(len(lines) - window + 1):
            block = tuple(text for _, text in lines[start:start + window])
            here = (path, lines[start][0], lines[start + window - 1][0])
            first = seen.setdefault(block, here)
            if first is not here and (first[0] != path or first[2] < here[1]):
                if here[1] > last_end:  # report each run of repeated windows once
                    repeated[(str(path), here[1])] = (
                        f"{path.relative_to(SRC.parent)}:{here[1]} repeats "
                        f"{first[0].relative_to(SRC.parent)}:{first[1]}")
                last_end = here[2]
    assert not repeated, (f"blocks of more than {MAX_REPEATED} lines repeated in src/:\n"
                          + "\n".join(repeated.values()))


_SIDE_EFFECTS = """
import csv, importlib, json, os, sys, warnings
ours = []
def spy(function):
    def wrapper(*args, **kwargs):
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller.startswith("radprompt"):
            ours.append(f"{caller} calls warnings.{function.__name__}")
        return function(*args, **kwargs)
    return wrapper
warnings.filterwarnings = spy(warnings.filterwarnings)
warnings.simplefilter = spy(warnings.simplefilter)
before = (csv.field_size_limit(), dict(os.environ))
skipped = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        skipped.append(f"{name}: {exc}")
after = (csv.field_size_limit(), dict(os.environ))
changed = [what for what, a, b in zip(("csv field limit", "environment"), before, after)
           if a != b] + ours
if "matplotlib.pyplot" in sys.modules:
    changed.append("pyplot imported")
if "optuna" in sys.modules:
    import optuna
    if optuna.logging.get_verbosity() != optuna.logging.INFO:
        changed.append("optuna verbosity")
print(json.dumps({"changed": changed, "skipped": skipped}))
"""


def test_importing_any_module_changes_nothing_global() -> None:
    """No side effects on import: the csv field limit, the environment, Optuna's verbosity
    and matplotlib's pyplot state are as they were after importing every module (in a fresh
    process), and no radprompt module sets a warning filter."""
    import json
    import subprocess
    import sys

    names = [name for name in _modules() if not name.endswith("__main__")]
    done = subprocess.run([sys.executable, "-c", _SIDE_EFFECTS, *names], capture_output=True,
                          text=True, timeout=600, check=True, cwd=SRC.parent)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["changed"], report
