"""``radprompt evaluate``: score generated reports against references."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import (
    EXIT_INPUT_ERROR,
    EXIT_PROBLEMS,
    LLM_PANEL,
    AllowRemoteOption,
    ApiBaseOption,
    JudgeModelOption,
    LabelsetOption,
    console,
    err_console,
    handles_errors,
    print_problems,
)
from radprompt.errors import InputError
from radprompt.metrics import METRICS
from radprompt.pipeline import choose_extractor

if TYPE_CHECKING:
    from radprompt.evaluation import Evaluation

_LLM = LLM_PANEL
METRIC_NAMES = ", ".join(METRICS)


@app.command("evaluate")
@handles_errors
# long: typer declares each of the verb's options in the signature; the body is short
def evaluate_command(
    references: Annotated[
        Path | None, typer.Option("--references", "-r", help="Reference reports: JSONL / CSV "
                                  "with id and text, or .txt with one report per line.")
    ] = None,
    generated: Annotated[
        list[str] | None, typer.Option("--generated", "-g", help="SYSTEM=FILE (repeat for "
                                       "each system); a bare FILE is named after its stem.")
    ] = None,
    human_preferences: Annotated[
        Path | None, typer.Option("--human-preferences", help="Raters' ratings: RadPref's "
                                  "folder or preference_data.json, or a CSV of id, system, "
                                  "rating (texts from --references / --generated). Prints "
                                  "each metric's agreement with the raters instead.")
    ] = None,
    fit_composite: Annotated[
        Path | None, typer.Option("--fit-composite", help="With --human-preferences: fit the "
                                  "composite's coefficients on the ratings (cross-validated "
                                  "by case) and save them to this JSON file.")
    ] = None,
    metrics: Annotated[
        str, typer.Option("--metrics", "-m", help=f"Comma-separated: {METRIC_NAMES}; 'all' "
                          "is every metric without a model (not the judges or trained). "
                          "Default: the same without bertscore.")
    ] = "",
    labelset: LabelsetOption = "chestxray21",
    extractor: Annotated[
        str | None, typer.Option("--extractor", "-e", help="Extractor recipe that reads "
                                 "findings from both sides for ranscore / clinical: rules "
                                 "(default), a name in extractors/ or a YAML path.")
    ] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", "-b", help="Read findings with a verified export "
                                  "bundle (radprompt export): the approved rules or prompt.")
    ] = None,
    model: Annotated[
        str | None, typer.Option("--model", rich_help_panel=_LLM, help="Extract findings "
                                 "with this LLM (LiteLLM model string, e.g. "
                                 "hosted_vllm/Qwen/Qwen3-14B); overrides the recipe's.")
    ] = None,
    api_base: ApiBaseOption = None,
    judge_model: JudgeModelOption = None,
    judge_api_base: Annotated[
        str | None, typer.Option("--judge-api-base", rich_help_panel=_LLM,
                                 help="Server of --judge-model (default: --api-base).")
    ] = None,
    allow_remote: AllowRemoteOption = False,
    option: Annotated[
        list[str] | None, typer.Option("--option", help="METRIC.KEY=VALUE passed to a metric, "
                                       "e.g. rouge.use_stemmer=true, bleu.tokenize=none, "
                                       "bertscore.model=/path/to/encoder.")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where the CSVs and plots go; "
                                  "default runs/evaluate-<time>.")
    ] = None,
    resamples: Annotated[int, typer.Option(help="Bootstrap resamples for intervals and "
                                           "tests.")] = 1000,
    confidence: Annotated[float, typer.Option(help="Confidence level of the intervals.")] = 0.95,
    test: Annotated[
        str, typer.Option(help="Paired test between systems: paired-bootstrap or "
                          "randomization (approximate randomization).")
    ] = "paired-bootstrap",
    seed: Annotated[int, typer.Option(help="Seed of the resampling.")] = 0,
    alpha: Annotated[float, typer.Option(help="Significance level of the ranking marks "
                                         "(on Holm-adjusted p-values).")] = 0.05,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score generated reports against references: Ran Score, clinical, lexical, semantic.

    One row per system, one column per metric with its bootstrap confidence interval; then
    each metric's ranking of the systems with paired significance tests. Reports pair up by
    id. Writes summary.csv, per_sample.csv, per_label.csv, significance.csv, ranking.csv,
    systems.png and labels.png to the output folder.

    Example: [bold]radprompt evaluate --references refs.jsonl --generated baseline=a.jsonl
    --generated tuned=b.jsonl --metrics ranscore,bleu,rouge,meteor --labelset chestxray21[/]
    """
    from radprompt.evaluation import evaluate_reports
    from radprompt.labelset import load_labelset
    from radprompt.metrics import DEFAULT_METRICS, METRICS, metric_class, metric_options

    names = _metric_names(metrics, default=DEFAULT_METRICS, known=list(METRICS))
    if human_preferences is None and (references is None or not generated):
        raise InputError("--references", "give --references and --generated (or "
                         "--human-preferences)")
    systems = _systems(generated or [])
    options = _options(option or [], known=names)
    _check_settings(options, confidence=confidence, output=output_dir, known=metric_options)
    if "judge" in names:
        _judge_settings(options, model=judge_model or model, api_base=judge_api_base or api_base,
                        allow_remote=allow_remote)
    labels = load_labelset(labelset)
    engine: Any = "rules"
    if any(metric_class(name).needs_extractor for name in names):
        reader = choose_extractor(
            labelset=labels, extractor=extractor, bundle=bundle,
            overrides={"model": model, "api_base": api_base,
                       "allow_remote": True if allow_remote else None})
        for note in reader.notes:
            err_console.print(f"[yellow]{note}[/]", highlight=False)
        engine, labels = reader.extractor, reader.labelset

    if human_preferences is not None:
        from radprompt.cli.evaluate_human import human_preferences_command

        human_preferences_command(
            human_preferences, references=references, systems=systems, metrics=names,
            labelset=labels, extractor=engine, options=options, resamples=resamples,
            confidence=confidence, seed=seed, output_dir=output_dir,
            fit_composite=fit_composite, as_json=as_json)
        return
    assert references is not None  # checked above

    def report_progress(system: str, metric: str, seconds: float) -> None:
        err_console.print(f"  {metric} on {system}: {seconds:.1f} s", highlight=False)

    err_console.print(f"evaluating {len(systems)} system(s) with {', '.join(names)}")
    evaluation = evaluate_reports(
        references=references, generated=systems, metrics=names, labelset=labels,
        extractor=engine, metric_options=options, n_resamples=resamples,
        confidence=confidence, test=test,  # type: ignore[arg-type]
        seed=seed, progress=report_progress,
    )
    _write_and_render(evaluation, folder=output_dir, as_json=as_json, alpha=alpha)
    _refuse_unscored(evaluation)
    if evaluation.problems:
        print_problems(evaluation.problems)
        raise typer.Exit(EXIT_PROBLEMS)


def _judge_settings(options: dict[str, dict[str, Any]], *, model: str | None,
                    api_base: str | None, allow_remote: bool) -> None:
    """The judge metric's model (--judge-model, else --model) and server into its options."""
    if model is None and "recipe" not in options.get("judge", {}):
        raise InputError("--metrics", "the judge metric needs --judge-model (or --model, "
                         "or --option judge.recipe=RECIPE)")
    options.setdefault("judge", {}).update({"model": model, "api_base": api_base,
                                            "allow_remote": allow_remote})


def _write_and_render(evaluation: Evaluation, *, folder: Path | None, as_json: bool,
                      alpha: float) -> None:
    folder = folder or Path("runs") / time.strftime("evaluate-%Y%m%d-%H%M%S")
    written = evaluation.write(folder)
    if as_json:
        sys.stdout.write(evaluation.summary.to_json(orient="index", indent=2) + "\n")
    else:
        render_evaluation(evaluation, alpha=alpha)
    err_console.print("time per metric: " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in evaluation.seconds.items()),
        highlight=False)
    err_console.print(f"wrote {', '.join(p.name for p in written)} to {folder}")


def _refuse_unscored(evaluation: Evaluation) -> None:
    """A metric with no score for any system (every judge request failed ...) is an error."""
    unscored = []
    for metric in evaluation.metrics:
        column = f"{metric}.{evaluation.result(evaluation.systems[0], metric).primary}"
        if column in evaluation.summary and evaluation.summary[column].isna().all():
            unscored.append(metric)
    if unscored:
        err_console.print(f"[bold red]error:[/] no score at all for {', '.join(unscored)}: "
                          "every request or computation failed (the notes above say why)")
        raise typer.Exit(EXIT_INPUT_ERROR if len(unscored) == len(evaluation.metrics)
                         else EXIT_PROBLEMS)


def _check_settings(options: dict[str, dict[str, Any]], *, confidence: float,
                    output: Path | None, known: Any) -> None:
    """Refuse settings that would fail only after the metrics ran (or never say so)."""
    for metric, given in options.items():
        allowed = list(known(metric))
        unknown = sorted(set(given) - set(allowed))
        if unknown:
            raise InputError("--option", f"metric {metric!r} has no option(s) "
                             f"{', '.join(unknown)}; its options: {', '.join(allowed)}")
    if not 0.0 < confidence < 1.0:
        raise InputError("--confidence", f"{confidence:g} is not a confidence level between 0 "
                         "and 1 (e.g. 0.95)")
    if output is not None and output.exists() and not output.is_dir():
        raise InputError(output, "--output is a file; evaluate writes a folder of CSVs and "
                         "plots there: give a folder")


def _metric_names(text: str, *, default: tuple[str, ...], known: list[str]) -> list[str]:
    if not text.strip():
        return list(default)
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if names == ["all"]:
        from radprompt.metrics import metric_names

        return metric_names(model_free=True)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InputError("--metrics", f"unknown metric(s) {unknown}; known: {', '.join(known)}")
    return list(dict.fromkeys(names))


def _systems(specs: list[str]) -> dict[str, Path]:
    systems: dict[str, Path] = {}
    for spec in specs:
        name, separator, path = spec.partition("=")
        if not separator:
            name, path = Path(spec).stem, spec
        if not name or not path:
            raise InputError("--generated", f"{spec!r} is not SYSTEM=FILE")
        if name in systems:
            raise InputError("--generated", f"system {name!r} is named twice")
        systems[name] = Path(path)
    return systems


def _options(specs: list[str], *, known: list[str]) -> dict[str, dict[str, Any]]:
    options: dict[str, dict[str, Any]] = {}
    for spec in specs:
        key, separator, value = spec.partition("=")
        metric, dot, name = key.partition(".")
        if not separator or not dot or not name:
            raise InputError("--option", f"{spec!r} is not METRIC.KEY=VALUE")
        if metric not in known:
            raise InputError("--option", f"{spec!r}: metric {metric!r} is not being computed")
        options.setdefault(metric, {})[name] = yaml.safe_load(value) if value else value
    return options


def _interval(summary: Any, system: str, column: str) -> str:
    value = summary.loc[system, column]
    low, high = summary.loc[system, f"{column}.low"], summary.loc[system, f"{column}.high"]
    digits = 1 if abs(value) >= 10 else 3
    if low != low:  # NaN: no interval
        return f"{value:.{digits}f}"
    return f"{value:.{digits}f}\n[dim][{low:.{digits}f}, {high:.{digits}f}][/]"


SMALL_SAMPLE = 30
"""Fewer report pairs than this: intervals and tests carry a caution."""


def render_evaluation(evaluation: Evaluation, *, alpha: float = 0.05) -> None:
    summary = evaluation.summary
    level = round(evaluation.confidence * 100)
    table = Table(title=f"{len(evaluation.paired.ids)} reports; primary score per metric "
                  f"[{level}% bootstrap CI]")
    table.add_column("system")
    primaries = []
    for metric in evaluation.metrics:
        result = evaluation.result(evaluation.systems[0], metric)
        primaries.append((metric, f"{metric}.{result.primary}"))
        table.add_column(f"{metric}\n{result.primary}", justify="right")
    for system in evaluation.systems:
        table.add_row(system, *(_interval(summary, system, column) for _, column in primaries))
    console.print(table)
    ranking = evaluation.ranking
    significance = evaluation.significance
    for metric in evaluation.metrics:
        rows = ranking[ranking["metric"] == metric] if not ranking.empty else ranking
        if rows.empty:
            continue
        parts = []
        for _, row in rows.iterrows():
            parts.append(f"{row['system']} ({row['value']:.3f})")
            if row["next"] is None or row["next"] != row["next"]:
                continue
            match = significance[(significance["metric"] == metric)
                                 & significance["system_a"].isin([row["system"], row["next"]])
                                 & significance["system_b"].isin([row["system"], row["next"]])]
            p = float(match["p_holm"].iloc[0]) if len(match) else float("nan")
            mark = ">" if p < alpha else "≈"
            shown = "p<0.001" if p < 0.001 else f"p={p:.3g}"
            parts.append(f"{mark} [dim]({shown})[/]")
        console.print(f"[bold]{metric}[/]: " + " ".join(parts))
    console.print(f"[dim]> differs at alpha={alpha} ({evaluation.test}, Holm-adjusted); "
                  "≈ does not[/]")
    pairs = len(evaluation.paired.ids)
    if pairs < SMALL_SAMPLE:
        console.print(f"[yellow]caution: {pairs} report pair(s); with fewer than "
                      f"{SMALL_SAMPLE}, bootstrap intervals and p-values are unreliable "
                      "(read them as a rough guide, not a test)[/]")
    for note in evaluation.notes:
        console.print(f"note: {note}", highlight=False)
    for system, missing in evaluation.paired.dropped.items():
        err_console.print(f"[yellow]{system}: no report for {len(missing)} reference id(s) "
                          f"(e.g. {missing[0]}); those ids are left out for every system[/]")
