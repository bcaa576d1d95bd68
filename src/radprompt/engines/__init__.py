"""Where extraction runs: in this process, in worker processes, or on Ray Data.

``Engine.run(reports, extractor=..., on_result=...)`` is the one method; the findings are the
same whichever engine runs them. ``Engine.run_records`` hands over the same results as records
(each report's line of the JSONL findings format), which is how worker processes return them.
``RayEngine`` needs the ``ray`` extra (``pip install 'radprompt[ray]'``) and imports Ray only
when it runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from radprompt.engines._in_process import InProcessEngine
from radprompt.engines._jsonl_parts import JsonlLines, jsonl_lines
from radprompt.engines._records import is_failure_record, result_from_record, result_record
from radprompt.engines._shards import SHARD_FORMATS, ShardStore
from radprompt.engines.base import Engine, RecordsCallback, ResultCallback
from radprompt.extractors.base import Extractor

if TYPE_CHECKING:
    from radprompt.engines._processes import ProcessPoolEngine
    from radprompt.engines._ray import RayEngine

__all__ = ["ENGINES", "SHARD_FORMATS", "Engine", "InProcessEngine", "JsonlLines",
           "ProcessPoolEngine", "RayEngine", "RecordsCallback", "ResultCallback", "ShardStore",
           "build_engine", "is_failure_record", "jsonl_lines", "result_from_record",
           "result_record"]

ENGINES = ("local", "ray")
"""Names for ``radprompt extract --engine``: ``local`` (this process, or ``--workers N``
processes) and ``ray``."""


def build_engine(name: str = "local", *, extractor: Extractor, workers: int = 1,
                 ray_address: str | None = None, shard_size: int | None = None,
                 store: ShardStore | None = None) -> Engine:
    """The engine ``radprompt extract --engine NAME --workers N ...`` runs on; options that
    do not apply to the chosen engine raise ``ValueError`` naming the one to drop."""
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}")
    if name == "ray":
        if workers != 1:
            raise ValueError("--workers is for --engine local; Ray uses the cluster's CPUs")
        from radprompt.engines._ray import RayEngine

        return RayEngine(address=ray_address, shard_size=shard_size or 1000, store=store)
    for option, value in (("--ray-address", ray_address), ("--shard-size", shard_size)):
        if value is not None:
            raise ValueError(f"{option} is for --engine ray")
    if workers == 1:
        return InProcessEngine()
    if getattr(extractor, "recipe", None) is not None:
        raise ValueError("--workers is for the rule engine; an LLM extractor sends "
                         "--concurrency requests at once from one process")
    from radprompt.engines._processes import ProcessPoolEngine

    return ProcessPoolEngine(workers=workers)


def __getattr__(name: str) -> Any:
    # multiprocessing (~25 ms) and Ray load with the engines that use them
    if name == "ProcessPoolEngine":
        from radprompt.engines._processes import ProcessPoolEngine

        return ProcessPoolEngine
    if name == "RayEngine":
        from radprompt.engines._ray import RayEngine

        return RayEngine
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
