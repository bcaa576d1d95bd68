"""``radprompt bench metrics``: seconds per 10,000 report pairs for each metric."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli._common import LabelsetOption, console, err_console, handles_errors
from radprompt.cli.bench import bench_app
from radprompt.errors import InputError


@bench_app.command("metrics")
@handles_errors
def bench_metrics_command(
    metrics: Annotated[
        str, typer.Option("--metrics", "-m", help="Comma-separated metric names; default: "
                          "the metrics evaluate computes by default (no model: clinscore, "
                          "composite, ranscore, clinical, bleu, rouge, meteor, readability). "
                          "BERTScore only when named: it takes minutes "
                          "on a CPU (an estimate is printed first).")
    ] = "",
    pairs: Annotated[int, typer.Option(help="Number of (generated, reference) pairs.")] = 10_000,
    input: Annotated[
        Path | None, typer.Option("--input", "-i", help="IU indiana_reports.csv to draw the "
                                  "pairs from; default: the shared data copy, else synthetic "
                                  "reports.")
    ] = None,
    labelset: LabelsetOption = "chestxray21",
) -> None:
    """Time each metric on PAIRS report pairs and print seconds per 10,000 pairs.

    Loading (encoder, WordNet) is timed apart as setup; the timed call scores every pair once,
    as ``radprompt evaluate`` does per system. BERTScore runs only when named (on the GPU when
    there is one), after an estimate from a small sample.
    For BLEU and ROUGE beside RadEval's own code, run benchmarks/radeval_compare.py.

    Example: [bold]radprompt bench metrics --metrics bleu,rouge,ranscore --pairs 10000[/]
    """
    from radprompt.metrics import DEFAULT_METRICS, METRICS
    from radprompt.testing.bench_metrics import BenchmarkPairs, benchmark_pairs, time_metrics

    names = [m.strip() for m in metrics.split(",") if m.strip()] or list(DEFAULT_METRICS)
    unknown = [name for name in names if name not in METRICS]
    if unknown:
        raise InputError("--metrics", f"unknown metric(s) {unknown}; known: {', '.join(METRICS)}")
    if pairs < 1:
        raise InputError("--pairs", "must be at least 1")
    corpus = benchmark_pairs(pairs, labelset=labelset, source=input)
    err_console.print(f"{len(corpus)} pairs from {corpus.source}")
    table = Table(title=f"metrics on {len(corpus)} report pairs (one process)")
    for column in ("metric", "seconds", "s / 10k pairs", "pairs / s", "setup s", "score"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name in names:
        if name == "bertscore" and len(corpus) > _SAMPLE:
            sample = BenchmarkPairs(corpus.predictions[:_SAMPLE], corpus.references[:_SAMPLE],
                                    corpus.source)
            probe = time_metrics(sample, metrics=[name], labelset=labelset, warmup=4)[0]
            err_console.print(f"  bertscore: about {probe.seconds * len(corpus) / _SAMPLE:,.0f} "
                              f"s for {len(corpus):,} pairs (estimated from {_SAMPLE})",
                              highlight=False)
        err_console.print(f"  timing {name} ...", highlight=False)
        timing = time_metrics(corpus, metrics=[name], labelset=labelset)[0]
        table.add_row(timing.metric, f"{timing.seconds:.2f}", f"{timing.seconds_per_10k:.2f}",
                      f"{timing.pairs / timing.seconds:,.0f}" if timing.seconds else "-",
                      f"{timing.setup_seconds:.2f}", f"{timing.score:.4f}")
        err_console.print(f"  {timing.metric}: {timing.seconds:.2f} s", highlight=False)
    console.print(table)


_SAMPLE = 32
"""Pairs BERTScore is first timed on, for the estimate."""
