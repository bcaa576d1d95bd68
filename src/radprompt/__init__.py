"""radprompt: radiology report finding extraction, prompt optimization and evaluation.

Importing ``radprompt`` is light; the API below is imported on first use.

Example::

    >>> import radprompt
    >>> table = radprompt.evaluate(references=["No pleural effusion."],
    ...                            generated={"a": ["No pleural effusion."]}, metrics=["rouge"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["__version__", "evaluate"]

if TYPE_CHECKING:
    from radprompt.evaluation import evaluate

_LAZY = {"evaluate": "radprompt.evaluation"}
"""Public names and the module each is imported from on first access."""


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'radprompt' has no attribute {name!r}")
