"""``radprompt bench llm``: the LLM extractor's throughput against the fake server."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from radprompt.cli._common import LabelsetOption, console, handles_errors
from radprompt.cli.bench import bench_app
from radprompt.labelset import LabelSet, load_labelset
from radprompt.testing.bench_llm import LLMBenchResult, bench_llm
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
    api_base: Annotated[str | None, typer.Option(
        help="A real server on this machine instead of the fake (with --extractor or --model): "
        "its raw limit, extraction with and without structured output, the cache.")] = None,
    extractor: Annotated[str | None, typer.Option(
        "--extractor", "-e", help="With --api-base: the recipe (e.g. llamacpp-local).")] = None,
    model: Annotated[str | None, typer.Option(help="With --api-base: the model string.")]
    = None,
    input_path: Annotated[str | None, typer.Option(
        "--input", "-i", help="With --api-base: reports to use (default: the demo test split)."
    )] = None,
    max_tokens: Annotated[int | None, typer.Option(help="With --api-base: answer tokens.")]
    = None,
) -> None:
    """Time extraction against a local fake OpenAI-compatible server with a fixed latency.

    Reports requests per report, wall time against the ideal n x latency / concurrency, the
    share of prompt tokens in the static prefix, and how many requests a second run makes.
    With --api-base: a real server instead, next to its raw throughput on the same prompts.

    Example: [bold]radprompt bench llm --reports 1000 --latency 0.05 --concurrency 16[/]

    Example: [bold]radprompt bench llm --api-base http://127.0.0.1:8080/v1 -e llamacpp-local
    --reports 20[/]
    """
    labels = load_labelset(labelset)
    if api_base:
        _bench_server(labels, api_base=api_base, extractor=extractor, model=model,
                      input_path=input_path, count=reports, max_tokens=max_tokens)
        return
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
    _print_fake_rows(rows, labels=labels, latency=latency, concurrency=concurrency)


def _print_fake_rows(rows: list[LLMBenchResult], *, labels: LabelSet, latency: float,
                     concurrency: int) -> None:
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


def _bench_server(labels: LabelSet, *, api_base: str, extractor: str | None, model: str | None,
                  input_path: str | None, count: int, max_tokens: int | None) -> None:
    from radprompt.labelset import read_yaml
    from radprompt.llm import LLMRecipe
    from radprompt.reports import read_dataset
    from radprompt.resources import find_resource
    from radprompt.testing.bench_server import bench_server, prefix_effect

    data: dict[str, object] = {}
    if extractor:
        data = dict(read_yaml(find_resource("extractors", extractor, suffix=".yaml")))
    data.update({"api_base": api_base, **({"model": model} if model else {}),
                 **({"max_tokens": max_tokens} if max_tokens else {})})
    if "model" not in data:
        raise typer.BadParameter("give --model or --extractor with --api-base")
    recipe = LLMRecipe.model_validate(data)
    source = input_path or str(find_resource("experiments", "demo", suffix=".yaml").parent
                               / "demo" / "test.jsonl")
    corpus = read_dataset(source, labelset=labels).reports[:count]
    console.print(f"{len(corpus)} reports from {source} against {recipe.model} at {api_base}",
                  highlight=False)
    rows, prefix_share = bench_server(recipe=recipe, labelset=labels, reports=corpus)
    table = Table(title=f"{recipe.model} at {api_base}, labelset {labels.name}, "
                  f"max_tokens {recipe.max_tokens}")
    for column in ("run", "reports", "requests", "seconds", "reports/s", "tokens/s",
                   "valid answers"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for row in rows:
        table.add_row(row.name, str(row.reports), str(row.requests), f"{row.seconds:.1f}",
                      f"{row.reports_per_second:.3f}", f"{row.tokens_per_second:.1f}",
                      f"{row.valid}/{row.reports} ({row.valid_rate:.0%})")
    console.print(table)
    effect = prefix_effect(rows)
    line = f"static prefix: {prefix_share:.0%} of each prompt's characters"
    if effect:
        line += (f"; read cold {effect[0]:.1f} s, raw requests {effect[1]:.1f} s median "
                 "(prefix reused)")
    console.print(line, highlight=False)
