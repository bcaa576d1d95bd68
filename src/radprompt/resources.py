"""Find the user-editable folders (labelsets/, prompts/, extractors/, optimizers/, experiments/).

Lookup order for a name: a path that exists as given; ``$RADPROMPT_HOME/<folder>``; ``./<folder>``
in the working directory; the source checkout this package runs from; the copy shipped inside
the installed package (``radprompt/_bundled/<folder>``).
"""

from __future__ import annotations

import os
from pathlib import Path

from radprompt.errors import InputError

__all__ = [
    "RESOURCE_FOLDERS",
    "find_resource",
    "has_resource",
    "list_resources",
    "resource_roots",
    "shared_data_dir",
]

RESOURCE_FOLDERS = ("labelsets", "prompts", "extractors", "optimizers", "experiments")

_PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT_ROOT = _PACKAGE_DIR.parent.parent


def resource_roots() -> list[Path]:
    """Folders that may hold the resource folders, most specific first."""
    roots: list[Path] = []
    if home := os.environ.get("RADPROMPT_HOME"):
        roots.append(Path(home))
    roots.append(Path.cwd())
    if (_CHECKOUT_ROOT / "pyproject.toml").is_file():
        roots.append(_CHECKOUT_ROOT)
    roots.append(_PACKAGE_DIR / "_bundled")
    return list(dict.fromkeys(root.resolve() for root in roots))


def _locate(folder: str, name: str | Path, *, suffix: str) -> Path | None:
    candidate = Path(name)
    if candidate.suffix and candidate.is_file():
        return candidate
    filename = candidate.name if candidate.suffix else f"{candidate.name}{suffix}"
    for root in resource_roots():
        path = root / folder / filename
        if path.is_file():
            return path
    return None


def has_resource(folder: str, name: str | Path, *, suffix: str) -> bool:
    return _locate(folder, name, suffix=suffix) is not None


def find_resource(folder: str, name: str | Path, *, suffix: str) -> Path:
    """Resolve ``name`` (a path, or a bare name like ``chestxray21``) inside ``folder``."""
    if (path := _locate(folder, name, suffix=suffix)) is not None:
        return path
    candidate = Path(name)
    filename = candidate.name if candidate.suffix else f"{candidate.name}{suffix}"
    known = sorted(p.stem for p in list_resources(folder, suffix=suffix))
    hint = f"; known: {', '.join(known)}" if known else ""
    raise InputError(candidate, f"no such file, and no {folder}/{filename} found{hint}")


def list_resources(folder: str, *, suffix: str) -> list[Path]:
    """Every ``*suffix`` file in ``folder`` across the roots; earlier roots shadow later ones."""
    found: dict[str, Path] = {}
    for root in resource_roots():
        directory = root / folder
        if directory.is_dir():
            for path in sorted(directory.glob(f"*{suffix}")):
                found.setdefault(path.name, path)
    return list(found.values())


def shared_data_dir() -> Path | None:
    """The reference data folder (``../shared/data`` beside the checkout), if there is one.

    ``$RADPROMPT_SHARED_DATA`` overrides the location.
    """
    if override := os.environ.get("RADPROMPT_SHARED_DATA"):
        return Path(override) if Path(override).is_dir() else None
    for root in (_CHECKOUT_ROOT, Path.cwd()):
        candidate = root.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None
