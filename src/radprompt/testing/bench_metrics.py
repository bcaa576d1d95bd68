"""Time the metrics on many (generated, reference) pairs (``radprompt bench metrics``).

The pairs are built from real reports when the shared IU / Open-i data is beside the checkout
(else from ``radprompt.testing.synthetic_reports``): pair i is report i as the reference and
another report as the generated text, both headed "Exam i." so that every text is distinct and
no cache helps. Each metric is built once, warmed up on a few pairs (model and WordNet loading
is reported apart as ``setup_seconds``), then timed on all pairs in one ``compute`` call.

Example::

    >>> from radprompt.testing.bench_metrics import benchmark_pairs, time_metrics
    >>> pairs = benchmark_pairs(200, labelset="chestxray21")
    >>> [t.metric for t in time_metrics(pairs, metrics=["bleu", "rouge"])]
    ['bleu', 'rouge']
"""

from __future__ import annotations

import csv
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radprompt.labelset import LabelSet
from radprompt.metrics import build_metric
from radprompt.metrics._findings import resolve_labelset
from radprompt.resources import shared_data_dir

__all__ = ["BenchmarkPairs", "MetricTiming", "benchmark_pairs", "time_metrics"]


@dataclass(frozen=True)
class BenchmarkPairs:
    predictions: list[str]
    references: list[str]
    source: str

    def __len__(self) -> int:
        return len(self.references)


@dataclass(frozen=True)
class MetricTiming:
    metric: str
    pairs: int
    seconds: float
    setup_seconds: float
    score: float

    @property
    def seconds_per_10k(self) -> float:
        return self.seconds * 10_000 / self.pairs if self.pairs else float("nan")


def _iu_texts(path: Path) -> list[str]:
    from radprompt.reports import iu_report_text

    with path.open(encoding="utf-8", newline="") as handle:
        texts = [iu_report_text(row["findings"], row["impression"])
                 for row in csv.DictReader(handle)]
    return [text for text in texts if text.strip()]


def benchmark_pairs(
    n: int, *, labelset: LabelSet | str | Path = "chestxray21", source: str | Path | None = None
) -> BenchmarkPairs:
    """``n`` distinct (generated, reference) pairs from IU reports or synthetic ones."""
    path = Path(source) if source is not None else None
    if path is None and (shared := shared_data_dir()) is not None:
        candidate = shared / "iu-openi" / "indiana_reports.csv"
        path = candidate if candidate.is_file() else None
    if path is not None:
        texts, origin = _iu_texts(path), str(path)
    else:
        from radprompt.testing import synthetic_reports

        reports = synthetic_reports(labelset=resolve_labelset(labelset), count=min(n, 5000))
        texts, origin = [report.text for report in reports], "synthetic reports"
    step = max(1, len(texts) // 3 + 1)
    references = [f"Exam {i + 1}. {texts[i % len(texts)]}" for i in range(n)]
    predictions = [f"Exam {i + 1}. {texts[(i + step) % len(texts)]}" for i in range(n)]
    return BenchmarkPairs(predictions=predictions, references=references, source=origin)


def time_metrics(
    pairs: BenchmarkPairs,
    *,
    metrics: Sequence[str],
    labelset: LabelSet | str | Path = "chestxray21",
    extractor: Any = "rules",
    metric_options: Mapping[str, Mapping[str, Any]] | None = None,
    warmup: int = 20,
) -> list[MetricTiming]:
    """Seconds each metric takes on all ``pairs`` (after building and warming it up)."""
    labels = resolve_labelset(labelset)
    timings = []
    for name in metrics:
        started = time.perf_counter()
        metric = build_metric(name, labelset=labels, extractor=extractor,
                              **dict((metric_options or {}).get(name, {})))
        metric.compute(predictions=pairs.predictions[:warmup],
                       references=pairs.references[:warmup])
        setup = time.perf_counter() - started
        started = time.perf_counter()
        result = metric.compute(predictions=pairs.predictions, references=pairs.references)
        timings.append(MetricTiming(metric=name, pairs=len(pairs),
                                    seconds=time.perf_counter() - started,
                                    setup_seconds=setup, score=result.value))
    return timings
