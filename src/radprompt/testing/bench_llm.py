"""Throughput of the LLM extractor against the fake server: ``radprompt bench llm``.

The fake server runs in a child process with a fixed latency and answers like the rule engine.
For each mode the benchmark times one run over the reports with an empty cache, then a second
run over the same reports, and reports: requests per report, wall time against the ideal
``requests x latency / concurrency``, the share of prompt tokens in the static prefix (what a
server's prefix cache reuses), and the second run's request count (0 when the cache works).

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.testing import synthetic_reports
    >>> labels = load_labelset("chestxray21")
    >>> result = bench_llm(labelset=labels, reports=synthetic_reports(labelset=labels, count=64),
    ...                    latency=0.05, concurrency=16, mode="all")  # doctest: +SKIP
    >>> result.requests_per_report, result.second_run_requests  # doctest: +SKIP
    (1.0, 0)
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from radprompt.extractors.base import ExtractionFailure
from radprompt.labelset import LabelSet
from radprompt.llm.recipe import BackendName, LLMRecipe
from radprompt.prompts import Mode, PromptVersion
from radprompt.reports import Report
from radprompt.testing.fake_answers import synthetic_reports
from radprompt.testing.fake_openai import approx_token_count
from radprompt.testing.serve import fake_server_process, server_stats

__all__ = ["LLMBenchResult", "bench_llm"]


@dataclass(frozen=True)
class LLMBenchResult:
    mode: str
    backend: str
    reports: int
    requests: int
    seconds: float
    latency: float
    concurrency: int
    prompt_tokens: int
    prefix_tokens: int
    second_run_requests: int
    failures: int
    peak_concurrency: int

    @property
    def requests_per_report(self) -> float:
        return self.requests / self.reports if self.reports else 0.0

    @property
    def ideal_seconds(self) -> float:
        return self.requests * self.latency / self.concurrency

    @property
    def ratio(self) -> float:
        """Wall time over the ideal (1.0 = no overhead at all)."""
        return self.seconds / self.ideal_seconds if self.ideal_seconds else float("inf")

    @property
    def prefix_share(self) -> float:
        return self.prefix_tokens / self.prompt_tokens if self.prompt_tokens else 0.0


def _conversations(version: PromptVersion, reports: Sequence[Report], path: Path) -> Path:
    """Every request's messages, for the fake model to work out its answers before the clock
    starts (on a small machine its CPU then does not compete with the client being timed)."""
    with path.open("w", encoding="utf-8") as handle:
        for report in reports:
            for group in version.requests():
                label_id = group[0] if version.mode == "label" else None
                messages = version.render(report.text, label_id=label_id)
                handle.write(json.dumps({"messages": messages}) + "\n")
    return path


def bench_llm(
    *,
    labelset: LabelSet,
    reports: Sequence[Report],
    latency: float = 0.05,
    concurrency: int = 16,
    mode: Mode = "all",
    backend: BackendName = "openai_compatible",
) -> LLMBenchResult:
    """Time ``reports`` through the LLM extractor against the fake server (see module doc)."""
    from radprompt.extractors.llm import LLMExtractor

    version = PromptVersion.from_labelset(labelset, mode=mode)
    with tempfile.TemporaryDirectory(prefix="radprompt-bench-") as folder:
        workdir = Path(folder)
        labelset_path = workdir / "labelset.yaml"  # JSON is YAML
        labelset_path.write_text(labelset.model_dump_json(), encoding="utf-8")
        prepared = _conversations(version, reports, workdir / "conversations.jsonl")
        with fake_server_process(latency=latency, labelset_path=labelset_path,
                                 prepare=prepared) as base_url:
            recipe = LLMRecipe(
                model="hosted_vllm/fake-model", api_base=base_url, backend=backend, mode=mode,
                concurrency=concurrency, timeout=60, max_tokens=4096,
                cache_path=str(workdir / "cache.sqlite"),
            )
            # Open the connections first, on reports that are not timed.
            warm_up = synthetic_reports(labelset=labelset, count=concurrency, seed=99_999)
            LLMExtractor(labelset=labelset, recipe=recipe).extract(
                [Report(f"warm-{r.id}", f"Warm-up. {r.text}") for r in warm_up])
            before = server_stats(base_url)["requests"]
            extractor = LLMExtractor(labelset=labelset, recipe=recipe, prompt=version)
            started = time.perf_counter()
            results = extractor.extract(reports)
            seconds = time.perf_counter() - started
            stats = server_stats(base_url)
            again = LLMExtractor(labelset=labelset, recipe=recipe, prompt=version)
            again.extract(reports)
            second = server_stats(base_url)["requests"] - stats["requests"]
    prefix = {label_id: approx_token_count(version.static_prefix(label_id=label_id))
              for label_id in version.label_ids}
    per_report = (sum(prefix.values()) if mode == "label" else prefix[version.label_ids[0]])
    usage = extractor.usage_
    assert usage is not None  # every extract call sets it
    return LLMBenchResult(
        mode=mode,
        backend=backend,
        reports=len(reports),
        requests=stats["requests"] - before,
        seconds=seconds,
        latency=latency,
        concurrency=concurrency,
        prompt_tokens=usage.prompt_tokens,
        prefix_tokens=per_report * len(reports),
        second_run_requests=second,
        failures=sum(isinstance(result, ExtractionFailure) for result in results),
        peak_concurrency=stats["peak"],
    )
