"""``radprompt extract``."""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from radprompt.cli import app
from radprompt.cli._common import (
    EXIT_PROBLEMS,
    LLM_PANEL,
    AllowRemoteOption,
    ApiBaseOption,
    ConcurrencyOption,
    LabelsetOption,
    ModelOption,
    ModeOption,
    NoStructuredOutputOption,
    err_console,
    handles_errors,
    print_problems,
    progress_bar,
)
from radprompt.errors import RadpromptError, RowError
from radprompt.extractors.base import ExtractionFailure
from radprompt.journal import FindingsJournal, OutputLock
from radprompt.labelset import load_labelset
from radprompt.outputs import RecordsWriter, write_records
from radprompt.pipeline import (
    ChosenExtractor,
    RecordedRun,
    choose_extractor,
    extract_dataset,
    extract_records,
    extractor_fingerprint,
)
from radprompt.reports import FORMATS, check_output_path, read_dataset, write_findings

_LLM = LLM_PANEL


@app.command()
@handles_errors
# long: typer declares each of the verb's options in the signature; the body is short
def extract(
    input: Annotated[
        Path, typer.Option("--input", "-i", help="Reports: CSV, JSONL, Parquet or IU CSV.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o",
                           help="Findings: .jsonl (with evidence), .csv or .parquet.")
    ],
    labelset: LabelsetOption = "chestxray21",
    extractor: Annotated[
        str | None,
        typer.Option("--extractor", "-e", help="Extractor recipe: rules (default), a name in "
                     "extractors/ (vllm-qwen3-14b) or a YAML path."),
    ] = None,
    input_format: Annotated[
        str, typer.Option("--format", help=f"Input format: {', '.join(FORMATS)}.")
    ] = "auto",
    model: ModelOption = None,
    api_base: ApiBaseOption = None,
    allow_remote: AllowRemoteOption = False,
    mode: ModeOption = None,
    backend: Annotated[
        str | None,
        typer.Option("--backend", rich_help_panel=_LLM,
                     help="auto, litellm, openai_compatible, vllm or hf."),
    ] = None,
    concurrency: ConcurrencyOption = None,
    no_structured_output: NoStructuredOutputOption = False,
    temperature: Annotated[float | None, typer.Option(rich_help_panel=_LLM)] = None,
    max_tokens: Annotated[int | None, typer.Option(rich_help_panel=_LLM)] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", rich_help_panel=_LLM,
                           help="Send every request, even those answered before.")
    ] = False,
    cache: Annotated[
        Path | None, typer.Option("--cache", rich_help_panel=_LLM,
                                  help="SQLite answer cache (default ~/.cache/radprompt).")
    ] = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore the unfinished run OUTPUT.partial.jsonl "
                           "instead of continuing it.")
    ] = False,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", "-b", help="A verified export bundle "
                                  "(radprompt export): its frozen rules or prompt and model.")
    ] = None,
    bundle_key: Annotated[
        Path | None, typer.Option("--bundle-key", envvar="RADPROMPT_BUNDLE_KEY",
                                  help="Check the bundle's signature with this key; only a "
                                  "signed bundle's approvals are trusted.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Rule engine: extract in N worker processes "
                          "(the same output, byte for byte, as one process).")
    ] = 1,
    run_on: Annotated[
        str, typer.Option("--engine", help="Where extraction runs: local (this machine) or ray "
                          "(Ray Data, pip install 'radprompt[ray]'; shards and a manifest in "
                          "OUTPUT.shards/, resumed shard by shard).")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", help="--engine ray: a running cluster "
                                 "(auto, ray://head:10001); default a local Ray on this machine.")
    ] = None,
    shard_size: Annotated[
        int | None, typer.Option("--shard-size", min=1, help="--engine ray: reports per shard "
                                 "(default 1000).")
    ] = None,
) -> None:
    """Extract per-label findings (present / absent / uncertain / not mentioned) from reports.

    With an LLM, reports go to the model concurrently; every answer is cached, and a run that
    is stopped continues where it stopped when started again (OUTPUT.partial.jsonl). Reports
    whose answer could not be used are listed with the reason (and written to
    OUTPUT.failed.jsonl with the raw answer), never counted as absent. Exit code 1 when any
    report failed, 2 when the input is unusable.

    Examples: [bold]radprompt extract -e rules -i experiments/demo/test.jsonl -o out/rules.jsonl[/]
    [bold]radprompt extract -m hosted_vllm/Qwen/Qwen3-14B --api-base http://127.0.0.1:8000/v1
    -i experiments/demo/test.jsonl -o out/qwen.jsonl[/]
    """
    overrides: dict[str, Any] = {
        "model": model, "api_base": api_base, "allow_remote": True if allow_remote else None,
        "mode": mode, "backend": backend, "concurrency": concurrency,
        "temperature": temperature, "max_tokens": max_tokens,
        "cache": False if no_cache else None, "cache_path": str(cache) if cache else None,
        "structured_output": False if no_structured_output else None,
    }
    chosen = choose_extractor(labelset=load_labelset(labelset), extractor=extractor,
                              bundle=bundle, bundle_key=bundle_key, overrides=overrides)
    if chosen.bundle is not None:
        _print_trust(chosen, path=bundle)
    engine, labels = chosen.extractor, chosen.labelset
    check_output_path(output, inputs=[input], sidecars=SIDECARS)
    dataset = _read(input, labels=labels, format=input_format,
                    in_workers=workers > 1 and run_on == "local" and not engine.journaled)
    journal = FindingsJournal(path=output.with_name(output.name + ".partial.jsonl"),
                              fingerprint=extractor_fingerprint(engine, labelset=labels),
                              input=f"{input.resolve()} ({input_format})")
    runner = _runner(run_on, extractor=engine, workers=workers, ray_address=ray_address,
                     shard_size=shard_size, journal=journal, output=output, labels=labels)
    with OutputLock(path=journal.path):
        _run(dataset, engine=engine, journal=journal, output=output, labels=labels,
             restart=restart, runner=runner)


SIDECARS = (".partial.jsonl", ".failed.jsonl", ".partial.jsonl.lock", ".shards", ".writing")
"""Files written beside the output (the resume journal, failures, the journal's lock, the
shards of --engine ray, the output while it is written)."""


def _read(input: Path, *, labels: Any, format: str, in_workers: bool) -> Any:
    """The input's reports; of a JSONL input only its lines when the worker processes of
    --workers read them (``engines.jsonl_lines``: the parent would read the whole file on one
    core while they wait)."""
    if in_workers:
        from radprompt.engines import jsonl_lines

        if (lines := jsonl_lines(input, labelset=labels, format=format)) is not None:
            return lines
    return read_dataset(input, labelset=labels, format=format)


def _runner(name: str, *, extractor: Any, workers: int, ray_address: str | None,
            shard_size: int | None, journal: FindingsJournal, output: Path, labels: Any) -> Any:
    from radprompt.engines import ShardStore, build_engine

    store = None
    if name == "ray":  # the shards replace the journal: resumed shard by shard
        store = ShardStore(folder=output.with_name(output.name + ".shards"),
                           fingerprint=journal.fingerprint, input=journal.input,
                           shard_size=shard_size or 1000, labelset=labels,
                           format="parquet" if output.suffix.lower() == ".parquet" else "jsonl")
    try:
        return build_engine(name, extractor=extractor, workers=workers, ray_address=ray_address,
                            shard_size=shard_size, store=store)
    except ValueError as exc:
        raise RadpromptError(str(exc)) from None


def _print_trust(chosen: ChosenExtractor, *, path: Path | None) -> None:
    from radprompt.cli.export import describe_trust

    assert chosen.bundle is not None
    err_console.print(f"bundle {path}: {describe_trust(chosen.bundle)}",
                      highlight=False, markup=False)
    for note in chosen.notes:
        err_console.print(f"[yellow]{note}[/]", highlight=False)


def _run(dataset: Any, *, engine: Any, journal: FindingsJournal, output: Path, labels: Any,
         restart: bool, runner: Any = None) -> None:
    store = getattr(runner, "store", None)
    if restart:
        journal.discard()
        if store is not None:
            store.discard()
    journaled = store is None and engine.journaled
    if not journaled and store is None:
        journal.done()  # an unfinished run of another extractor or input is refused, not lost
    try:
        total = len(dataset.reports) if hasattr(dataset, "reports") else dataset.rows
        with progress_bar("extracting", total=total) as advance, _writer(
                output, records=not engine.journaled) as writer:
            run: Any = extract_dataset(  # the rule engine's findings stay text (records)
                dataset, extractor=engine, progress=advance,
                journal=journal if journaled else None, engine=runner,
            ) if engine.journaled else extract_records(
                dataset, extractor=engine, progress=advance, engine=runner,
                stream=writer.write if writer is not None else None)
    except RadpromptError as exc:
        from radprompt.llm.client import LLMStopError  # the LLM layer loads only when it runs

        if not isinstance(exc, LLMStopError):
            raise
        kept = len(journal.done()) if journal.path.exists() else 0
        raise LLMStopError(f"{exc}\n{kept} report(s) finished before the stop are kept in "
                           f"{journal.path}; the same command continues from there") from None
    written = run.streamed if writer is not None else _write(output, run, labels=labels)
    resumed = f" ({run.resumed} from the unfinished run before)" if run.resumed else ""
    err_console.print(f"wrote findings for {written} report(s) to {output}{resumed}")
    if not isinstance(run, RecordedRun):  # the rule engine quotes no evidence to flag
        _print_evidence_flags(run.findings)
    if run.usage is not None:
        _print_usage(run.usage, recipe=getattr(engine, "recipe", None))
    failed: list[RowError | ExtractionFailure] = [*run.problems, *run.failures]
    if not run.failures:
        journal.discard()
    if failed:
        failed_path = output.with_name(output.name + ".failed.jsonl")
        with failed_path.open("w", encoding="utf-8") as handle:
            for item in failed:
                handle.write(json.dumps(_failure_record(item)) + "\n")
        print_problems(failed)
        err_console.print(f"the list is in {failed_path}")
        if run.failures:
            err_console.print("run the same command again to retry the failed reports")
        raise typer.Exit(EXIT_PROBLEMS)


def _writer(output: Path, *, records: bool) -> Any:
    """A JSONL output's ``RecordsWriter`` when the findings come as records (the rule engine):
    written as they come, while worker processes extract; else nothing (written at the end)."""
    if records and output.suffix.lower() == ".jsonl":
        return RecordsWriter(output)
    return nullcontext()


def _write(output: Path, run: Any, *, labels: Any) -> int:
    """Write a run's findings to ``output``; how many there were."""
    if isinstance(run, RecordedRun):
        write_records(output, run.records, labelset=labels)
        return len(run.records)
    write_findings(output, run.findings, labelset=labels)
    return len(run.findings)


def _print_evidence_flags(findings: list[Any]) -> None:
    flagged = sum(len(getattr(item, "flags", ())) for item in findings)
    downgraded = sum(len(getattr(item, "downgraded", ())) for item in findings)
    if flagged:
        err_console.print(f"[yellow]{flagged} evidence quote(s) were not in their report[/] "
                          f"(dropped; {downgraded} 'present' kept as 'uncertain'; listed under "
                          "'flags' in the output)")
    review = [item for item in findings if getattr(item, "review", None)]
    if review:
        err_console.print(f"[yellow]{len(review)} report(s) flagged for review[/] ('review' in "
                          "the output):")
        for item in review[:10]:
            err_console.print(f"  {item.report_id}: {item.review}", highlight=False, markup=False)


def _print_usage(usage: Any, *, recipe: Any) -> None:
    name = getattr(recipe, "model", "the model")
    cost = f"${usage.cost:.4f}" if usage.cost_known else (
        f"${usage.cost:.4f} for the priced part" if usage.priced_requests else
        "not known (give input_cost_per_mtok / output_cost_per_mtok in the recipe)")
    if usage.requests == 0:
        cost = "$0"
    err_console.print(
        f"{name}: {usage.requests:,} request(s) sent, {usage.cache_hits:,} answered from the "
        f"cache, {usage.retries:,} retried; tokens {usage.prompt_tokens:,} prompt + "
        f"{usage.completion_tokens:,} completion; cost {cost}",
        highlight=False,
    )


def _failure_record(item: RowError | ExtractionFailure) -> dict[str, Any]:
    if isinstance(item, ExtractionFailure):
        return {"id": item.report_id, "reason": item.reason, "raw_output": item.raw_output}
    return {"id": item.report_id, "row": item.row, "reason": item.problem}
