"""Extraction on Ray Data (``radprompt extract --engine ray``; ``pip install 'radprompt[ray]'``).

The driver reads the input with radprompt's own readers (so row problems, ids and texts are
exactly those of a local run), cuts the reports into shards of ``shard_size`` and hands every
shard not already finished to Ray Data as one block. ``map_batches`` runs the extractor on the
workers' CPUs, one block per call: the rule engine, or an LLM extractor that calls its
configured endpoint with its own cache, privacy check (repeated on the worker, whose
environment may name other endpoints) and failure records. Each finished shard is written
beside the output with its manifest entry (``ShardStore``) and handed on in input order (a
shard that finishes early waits for the ones before it); Ray retries the block of a worker
that died, and a shard is handed on once however often its block ran.
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Sequence
from typing import Any

from radprompt.engines._records import InOrder, result_record, spans
from radprompt.engines._shards import ShardStore, shard_key
from radprompt.engines.base import RecordsCallback, RecordsEngine
from radprompt.errors import RadpromptError, require
from radprompt.extractors.base import Extractor, ProgressCallback
from radprompt.reports import Report

__all__ = ["RayEngine"]

logger = logging.getLogger(__name__)

def _ray() -> Any:
    ray = require("ray", extra="ray", needed_by="extract --engine ray")
    require("ray.data", extra="ray", needed_by="extract --engine ray")
    return ray


class RayEngine(RecordsEngine):
    """Run an extractor on Ray Data, shard by shard.

    ``address``: a running cluster (``ray://host:10001``, ``auto``); ``None`` starts a local
    Ray with ``num_cpus`` (all cores when ``None``) and stops it afterwards. A Ray already
    initialised in this process is used as it is. ``store`` keeps finished shards so that a
    stopped run resumes. Ray Data reruns the block of a worker that died.
    """

    def __init__(self, *, address: str | None = None, shard_size: int = 1000,
                 num_cpus: int | None = None, store: ShardStore | None = None) -> None:
        if shard_size < 1:
            raise ValueError(f"shard_size must be at least 1, not {shard_size}")
        self.address = address
        self.shard_size = shard_size
        self.num_cpus = num_cpus
        self.store = store
        self.resumed_ = 0
        self.usage_: Any = None
        """An LLM extractor's requests, tokens and cost, summed over the shards run here."""

    def run_records(
        self,
        reports: Sequence[Report],
        *,
        extractor: Extractor,
        on_records: RecordsCallback,
        progress: ProgressCallback | None = None,
    ) -> None:
        shards = [reports[start:stop] for start, stop in spans(len(reports), self.shard_size)]
        keys = [shard_key(shard) for shard in shards]
        if self.store is not None:
            self.store.open()
        in_order = InOrder(on_records)
        pending = []
        for index in range(len(shards)):
            stored = self.store.read(index, keys[index]) if self.store is not None else None
            if stored is None:
                pending.append(index)
                continue
            in_order.add(index, stored)
            self.resumed_ += len(stored)
            if progress is not None:
                progress(len(stored))
        if pending:
            self._run_on_ray([(index, shards[index], keys[index]) for index in pending],
                             extractor=extractor, in_order=in_order, progress=progress)

    def _run_on_ray(self, pending: list[tuple[int, Sequence[Report], str]], *,
                    extractor: Extractor, in_order: InOrder,
                    progress: ProgressCallback | None) -> None:
        ray = _ray()
        started = not ray.is_initialized()
        if started:
            # Ray reports usage statistics to its authors unless told not to; radprompt opens
            # no connection but to the endpoints the user names (RAY_USAGE_STATS_ENABLED=1 to
            # allow it). Set for the Ray processes this run starts.
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(address=self.address, num_cpus=None if self.address else self.num_cpus,
                     include_dashboard=False, configure_logging=False, log_to_driver=False)
        try:
            context = ray.data.DataContext.get_current()
            context.enable_progress_bars = False
            blocks = ray.data.from_arrow([_block(index, shard) for index, shard, _ in pending])
            mapped = blocks.map_batches(_extract_block, fn_kwargs={"extractor": extractor},
                                        batch_size=None, batch_format="pyarrow")
            self._collect(mapped, pending, in_order=in_order, progress=progress)
        finally:
            if started:
                ray.shutdown()

    def _collect(self, mapped: Any, pending: list[tuple[int, Sequence[Report], str]], *,
                 in_order: InOrder, progress: ProgressCallback | None) -> None:
        expected = {index: (len(shard), key) for index, shard, key in pending}
        arrived: dict[int, dict[int, str]] = {}
        usage: dict[int, bytes] = {}
        for batch in mapped.iter_batches(batch_size=None, batch_format="pyarrow"):
            for stop in batch["stop"].to_pylist():
                if stop is not None:  # as in one process: LLMStopError, a refused endpoint ...
                    raise pickle.loads(stop)
            for index, position, record, spent in zip(
                    batch["shard"].to_pylist(), batch["position"].to_pylist(),
                    batch["record"].to_pylist(), batch["usage"].to_pylist(), strict=True):
                if index not in expected:  # finished already; a rerun block's copy
                    continue
                arrived.setdefault(index, {})[position] = record
                if spent is not None:
                    usage[index] = spent
                size, key = expected[index]
                if len(arrived[index]) < size:
                    continue
                got = arrived.pop(index)
                records = [got[number] for number in range(size)]
                del expected[index]
                if self.store is not None:
                    self.store.write(index, key, records)
                self._add_usage(usage.pop(index, None))
                in_order.add(index, records)
                if progress is not None:
                    progress(size)
        if expected:  # pragma: no cover - Ray raises before this
            raise RuntimeError(f"Ray returned no results for shard(s) {sorted(expected)}")


    def _add_usage(self, spent: bytes | None) -> None:
        if spent is None:
            return
        if self.usage_ is None:
            self.usage_ = pickle.loads(spent)
        else:
            self.usage_.add(pickle.loads(spent))


def _block(index: int, shard: Sequence[Report]) -> Any:
    import pyarrow

    return pyarrow.table({
        "shard": pyarrow.array([index] * len(shard), type=pyarrow.int64()),
        "position": pyarrow.array(range(len(shard)), type=pyarrow.int64()),
        "report": pyarrow.array([pickle.dumps(report) for report in shard],
                                type=pyarrow.binary()),
    })


def _extract_block(batch: Any, *, extractor: Extractor) -> dict[str, Any]:
    """On a Ray worker: one block of reports -> their records (the journal's lines)."""
    reports = [pickle.loads(blob) for blob in batch["report"].to_pylist()]
    first = [None] * (len(reports) - 1)
    try:
        _check_destination(extractor)
        results = extractor.extract(reports)
    except RadpromptError as exc:  # a stop the driver raises as its own (Ray would wrap it)
        return {"shard": batch["shard"], "position": batch["position"],
                "record": [""] * len(reports), "usage": [None, *first],
                "stop": [_picklable(exc), *first]}
    spent = getattr(extractor, "usage_", None)  # an LLM extractor's, once per block
    return {"shard": batch["shard"], "position": batch["position"],
            "record": [result_record(result) for result in results],
            "usage": [pickle.dumps(spent) if spent is not None else None, *first],
            "stop": [None] * len(reports)}


def _picklable(exc: RadpromptError) -> bytes:
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)
    except Exception:  # an error whose constructor takes other arguments than its message
        blob = pickle.dumps(RadpromptError(str(exc)))
    return blob


def _check_destination(extractor: Extractor) -> None:
    """Repeat the privacy check of an LLM extractor where its requests leave from."""
    recipe = getattr(extractor, "recipe", None)
    if recipe is None:
        return
    from radprompt.llm import check_destination

    check_destination(model=recipe.model, api_base=recipe.api_base,
                      backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)

