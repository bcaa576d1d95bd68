"""The LLM extractor against a real server, next to the server's own limit on the same prompts.

``radprompt bench llm --api-base URL --model MODEL`` runs, over the same reports:

0. **prefix read cold**: the first report's prompt once, before anything is timed, so that
   every timed row below meets the static prefix already in the server's cache;
1. **raw**: each report's rendered prompt sent straight through the backend (no cache, no
   parsing, no re-asks), with the answer's schema as structured output: what the server can do
   on these prompts (the limit);
2. **extract, structured output**: the extractor as users run it, fresh cache;
3. **extract, plain**: the same without structured output (the prompt alone asks for JSON);
4. **cached re-run** of (2): requests it sent (0 when the cache works).

For each: reports per second, completion tokens per second, requests, and the share of reports
with a valid answer. The prefix-cache effect is the cold read's latency against the median of
the raw requests (the server reuses the prefix), with the share of the prompt in the static
prefix.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from radprompt.extractors.base import ExtractionFailure
from radprompt.labelset import LabelSet
from radprompt.llm.recipe import LLMRecipe
from radprompt.prompts import PromptVersion
from radprompt.reports import Report

__all__ = ["COLD_ROW", "ServerBenchRow", "bench_server"]

COLD_ROW = "prefix read cold (warm-up)"


@dataclass(frozen=True)
class ServerBenchRow:
    name: str
    reports: int
    requests: int
    seconds: float
    completion_tokens: int
    prompt_tokens: int
    valid: int
    latencies: tuple[float, ...] = field(default=())

    @property
    def reports_per_second(self) -> float:
        return self.reports / self.seconds if self.seconds else 0.0

    @property
    def tokens_per_second(self) -> float:
        return self.completion_tokens / self.seconds if self.seconds else 0.0

    @property
    def valid_rate(self) -> float:
        return self.valid / self.reports if self.reports else 0.0


def _raw(recipe: LLMRecipe, version: PromptVersion, reports: Sequence[Report], *,
         name: str = "raw (server limit)") -> ServerBenchRow:
    """Every prompt once, one at a time, straight through the backend."""
    from radprompt.extractors.llm import FindingsAnswer
    from radprompt.llm import build_client
    from radprompt.llm.calls import pick_json, run_sync
    from radprompt.llm.dialects import canonical_response_format, to_dialect

    client = build_client(recipe, cache=False)
    dialect = client.dialect if recipe.structured_output_dialect != "auto" else "json_schema"

    def params(report: Report) -> dict[str, object]:
        # what the extractor sends: the mode's schema, max_tokens lowered to its size
        answer = FindingsAnswer(tuple(version.label_ids), report.text, version.mode)
        return to_dialect({**client.params, "max_tokens": answer.max_tokens(recipe.max_tokens),
                           "response_format": canonical_response_format(
                               answer.json_schema(), name="findings")}, dialect)

    latencies: list[float] = []
    tokens = [0, 0, 0]  # prompt, completion, valid answers

    async def send_all() -> None:
        try:
            for report in reports:
                started = time.perf_counter()
                completion = await client.backend.complete(version.render(report.text),
                                                           params=params(report))
                latencies.append(time.perf_counter() - started)
                tokens[0] += completion.prompt_tokens
                tokens[1] += completion.completion_tokens
                try:
                    pick_json(completion.text)
                    tokens[2] += 1
                except ValueError:
                    pass
        finally:
            await client.aclose()

    started = time.perf_counter()
    run_sync(send_all())
    return ServerBenchRow(name, len(reports), len(reports),
                          time.perf_counter() - started, tokens[1], tokens[0], tokens[2],
                          tuple(latencies))


def _extract(name: str, recipe: LLMRecipe, labelset: LabelSet,
             reports: Sequence[Report]) -> ServerBenchRow:
    from radprompt.extractors.llm import LLMExtractor

    extractor = LLMExtractor(labelset=labelset, recipe=recipe)
    started = time.perf_counter()
    results = extractor.extract(reports)
    seconds = time.perf_counter() - started
    usage = extractor.usage_
    assert usage is not None
    valid = sum(not isinstance(result, ExtractionFailure) for result in results)
    return ServerBenchRow(name, len(reports), usage.requests, seconds, usage.completion_tokens,
                          usage.prompt_tokens, valid)


def bench_server(*, recipe: LLMRecipe, labelset: LabelSet,
                 reports: Sequence[Report]) -> tuple[list[ServerBenchRow], float]:
    """The rows of the module doc, and the static prefix's share of the prompt's characters."""
    if recipe.mode == "label":
        raise ValueError("the server bench times one request per report: a recipe in mode "
                         "all or mentioned")
    version = PromptVersion.from_labelset(labelset, mode=recipe.mode, template=recipe.template)
    rows = [_raw(recipe, version, reports[:1], name=COLD_ROW), _raw(recipe, version, reports)]
    with tempfile.TemporaryDirectory(prefix="radprompt-bench-") as folder:
        for name, structured in (("extract, structured output", True),
                                 ("extract, plain JSON prompt", False)):
            cache = str(Path(folder) / f"{structured}.sqlite")
            changed = recipe.model_copy(update={"structured_output": structured,
                                                "cache_path": cache, "cache": True})
            rows.append(_extract(name, changed, labelset, reports))
            if structured:
                rows.append(_extract("extract, cached re-run", changed, labelset, reports))
    prefix = len(version.static_prefix())
    whole = statistics.mean(sum(len(m["content"]) for m in version.render(r.text))
                            for r in reports)
    return rows, prefix / whole if whole else 0.0


def prefix_effect(rows: Sequence[ServerBenchRow]) -> tuple[float, float] | None:
    """The cold read's latency and the median latency of the raw requests (prefix warm)."""
    cold, raw = rows[0], rows[1]
    if cold.name != COLD_ROW or not cold.latencies or not raw.latencies:
        return None
    return cold.latencies[0], statistics.median(raw.latencies)
