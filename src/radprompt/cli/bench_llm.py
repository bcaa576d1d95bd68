"""``radprompt bench llm``: the LLM extractor's throughput against the fake server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli._common import LabelsetOption, console, handles_errors
from radprompt.cli.bench import bench_app
from radprompt.labelset import load_labelset
from radprompt.llm.bench import LLMBenchResult, bench_llm
from radprompt.testing.fake_answers import synthetic_reports


@bench_app.command("llm")
@handles_errors
def bench_llm_command(
    labelset: LabelsetOption = "chestxray21",
    reports: Annotated[int, typer.Option(help="Synthetic reports in all-labels mode.")] = 1000,
    label_reports: Annotated[
        int, typer.Option(help="Reports in per-label mode (it sends one request per label).")
    ] = 100,
    latency: Annotated[float, typer.Option(help="Seconds the fake server takes per answer.")]
    = 0.05,
    concurrency: Annotated[int, typer.Option(help="Requests in flight.")] = 16,
    backend: Annotated[
        list[str] | None,
        typer.Option(help="Backend(s) to time: openai_compatible, litellm (repeatable)."),
    ] = None,
    mode: Annotated[
        list[str] | None, typer.Option(help="Mode(s): all, label (repeatable).")
    ] = None,
) -> None:
    """Time extraction against a local fake OpenAI-compatible server with a fixed latency.

    Reports requests per report, wall time against the ideal n x latency / concurrency, the
    share of prompt tokens in the static prefix, and how many requests a second run makes.

    Example: [bold]radprompt bench llm --reports 1000 --latency 0.05 --concurrency 16[/]
    """
    labels = load_labelset(labelset)
    rows: list[LLMBenchResult] = []
    for backend_name in backend or ["openai_compatible", "litellm"]:
        for mode_name in mode or ["all", "label"]:
            count = reports if mode_name == "all" else label_reports
            corpus = synthetic_reports(labelset=labels, count=count, seed=7)
            console.print(f"timing {mode_name} mode, {backend_name} backend, {count} reports ...",
                          highlight=False)
            rows.append(bench_llm(labelset=labels, reports=corpus, latency=latency,
                                  concurrency=concurrency, mode=mode_name,  # type: ignore[arg-type]
                                  backend=backend_name))  # type: ignore[arg-type]
    table = Table(title=f"LLM extraction against the fake server ({latency * 1000:g} ms per "
                  f"answer, concurrency {concurrency}, labelset {labels.name})")
    for column in ("mode", "backend", "reports", "requests", "req/report", "wall s", "ideal s",
                   "wall/ideal", "static prefix", "2nd run requests", "failed"):
        table.add_column(column, justify="left" if column in ("mode", "backend") else "right")
    for row in rows:
        table.add_row(
            f"extract_{row.mode}", row.backend, f"{row.reports:,}", f"{row.requests:,}",
            f"{row.requests_per_report:.2f}", f"{row.seconds:.2f}", f"{row.ideal_seconds:.2f}",
            f"{row.ratio:.3f}", f"{row.prefix_share:.1%}", f"{row.second_run_requests:,}",
            f"{row.failures:,}",
        )
    console.print(table)
