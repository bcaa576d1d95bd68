"""Where extraction runs: in this process, in worker processes, or on Ray Data.

``Engine.run(reports, extractor=..., on_result=...)`` is the one method; the findings are the
same whichever engine runs them. ``RayEngine`` needs the ``ray`` extra
(``pip install 'radprompt[ray]'``) and imports Ray only when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from radprompt.engines._in_process import InProcessEngine
from radprompt.engines._processes import ProcessPoolEngine
from radprompt.engines.base import Engine, ResultCallback

if TYPE_CHECKING:
    from radprompt.engines._ray import RayEngine

__all__ = ["ENGINES", "Engine", "InProcessEngine", "ProcessPoolEngine", "RayEngine",
           "ResultCallback"]

ENGINES = ("local", "ray")
"""Names for ``radprompt extract --engine``: ``local`` (this process, or ``--workers N``
processes) and ``ray``."""


def __getattr__(name: str) -> Any:
    if name == "RayEngine":
        from radprompt.engines._ray import RayEngine

        return RayEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
