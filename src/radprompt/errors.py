"""Errors a user can act on: each names the file, where in it, and what is wrong."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "InputError",
    "MissingExtraError",
    "RadpromptError",
    "RowError",
    "require",
    "validation_problem",
]


class RadpromptError(Exception):
    """Base class of every error radprompt raises on purpose."""


class InputError(RadpromptError):
    """A file the user gave cannot be used as it is."""

    def __init__(self, path: Path | str, problem: str, *, where: str | None = None) -> None:
        self.path = Path(path)
        self.problem = problem
        self.where = where
        location = f"{self.path}" + (f", {where}" if where else "")
        super().__init__(f"{location}: {problem}")


class MissingExtraError(RadpromptError, ImportError):
    """An optional dependency is not installed; the message says which extra brings it."""


def require(module: str, *, extra: str, needed_by: str) -> ModuleType:
    """Import ``module`` or raise ``MissingExtraError`` naming the extra that installs it.

    The one optional-import helper: heavy and optional packages are imported through it,
    where they are needed.

    Example::

        >>> require("json", extra="core", needed_by="this example").__name__
        'json'
        >>> try:
        ...     require("no_such_package", extra="web", needed_by="the review page")
        ... except MissingExtraError as error:
        ...     print(error)
        the review page needs the Python package 'no_such_package': pip install 'radprompt[web]'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{needed_by} needs the Python package {module.split('.')[0]!r}: "
            f"pip install 'radprompt[{extra}]'"
        ) from exc


class RowError(InputError):
    """One row of an input file that could not be used; the rest of the file still can."""

    def __init__(self, path: Path | str, row: int, problem: str, *, report_id: str | None = None):
        self.row = row
        self.report_id = report_id
        where = f"row {row}" + (f" (id {report_id!r})" if report_id else "")
        super().__init__(path, problem, where=where)


def validation_problem(exc: Any) -> tuple[str, str]:
    """Turn a pydantic ``ValidationError``'s first error into (where, problem), with an
    unknown key spelled out."""
    first = exc.errors()[0]
    location = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown key {first['loc'][-1]!r}"
    return location, message
