"""``radprompt significance``: does a metric penalise clinically significant errors and
tolerate harmless rephrasing?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import (
    LLM_PANEL,
    AllowRemoteOption,
    ApiBaseOption,
    JudgeModelOption,
    LabelsetOption,
    console,
    err_console,
    handles_errors,
)
from radprompt.errors import InputError

significance_app = typer.Typer(
    help="Clinical significance of report metrics: does a metric penalise clinically "
         "significant errors (discrimination) and tolerate harmless rephrasing (robustness)?"
         "\n\nA typical run on the synthetic demo corpus:\n\n"
         "[bold]radprompt significance generate -r experiments/demo/train.jsonl "
         "-o out/sig/train_pairs.jsonl[/]\n\n"
         "[bold]radprompt significance generate -r experiments/demo/test.jsonl "
         "-o out/sig/test_pairs.jsonl --seed 1[/]\n\n"
         "[bold]radprompt significance train -p out/sig/train_pairs.jsonl "
         "--heldout out/sig/test_pairs.jsonl -o out/sig/model[/]\n\n"
         "[bold]radprompt significance evaluate -p out/sig/test_pairs.jsonl "
         "--metrics bleu,rouge,bertscore,ranscore,trained --model out/sig/model.joblib "
         "-o out/sig/eval[/]\n\n"
         "[bold]radprompt significance radjudge --metrics ranscore,trained "
         "--model out/sig/model.joblib[/]\n\n"
         "LLM judges: add judge_one_pass,judge_two_pass to --metrics with --judge-model "
         "hosted_vllm/<model> --api-base http://127.0.0.1:8000/v1.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)
app.add_typer(significance_app, name="significance")

ModelOption = Annotated[
    Path | None, typer.Option("--model", help="Trained metric (.joblib with its .json "
                              "sidecar) from 'radprompt significance train'; needed by "
                              "the 'trained' metric.")]
RecipeOption = Annotated[
    str | None, typer.Option("--judge-recipe", rich_help_panel=LLM_PANEL, help="LLM recipe "
                             "(extractors/*.yaml) for the judges: backend, cache, concurrency, "
                             "decoding.")]


def _judge_options(model: str | None, api_base: str | None, recipe: str | None,
                   allow_remote: bool) -> dict[str, Any]:
    options: dict[str, Any] = {"allow_remote": allow_remote}
    if model:
        options["model"] = model
    if api_base:
        options["api_base"] = api_base
    if recipe:
        options["recipe"] = recipe
    return options


def _build(names: str, *, model: Path | None, labelset: str,
           judge_options: dict[str, Any]) -> dict[str, Any]:
    from radprompt.significance.discrimination import build_metrics

    try:
        return build_metrics(_split(names), trained_model=model, labelset=labelset,
                             judge_options=judge_options)
    except ValueError as exc:
        raise InputError("--metrics / --model", str(exc)) from None


def _split(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


@significance_app.command("generate")
@handles_errors
def generate_command(
    reports: Annotated[list[Path], typer.Option("--reports", "-r", help="Reference reports "
                                                "(any format read_dataset reads); repeatable.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="Pairs file to write (JSONL); the "
                                      "counts go beside it as <name>.summary.json.")],
    labelset: LabelsetOption = "chestxray21",
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 0,
    kinds: Annotated[str | None, typer.Option(help="Comma-separated kinds (default: all).")]
    = None,
    vocabulary: Annotated[Path | None, typer.Option(
        help="Vocabulary YAML (default labelsets/perturbations/<labelset>.yaml).")] = None,
    limit: Annotated[int | None, typer.Option(help="Use only the first N reports.")] = None,
    paraphrase_model: Annotated[str | None, typer.Option(
        "--paraphrase-model", help="Also paraphrase whole reports with this model (kept only "
        "when the rule engine reads the same findings).")] = None,
    api_base: ApiBaseOption = None,
    allow_remote: AllowRemoteOption = False,
) -> None:
    """Make labelled (reference, variant) pairs: significant errors and harmless variations.

    Significant: negation_flip, laterality_swap, severity_change, false_finding,
    omitted_finding, device_malposition, wrong_measurement. Harmless: paraphrase, synonym
    (from the labelset), reordering, abbreviation, formatting, hedging_neutral. A kind that
    cannot apply to a report (no side to swap) is skipped and counted, never faked.

    Example: [bold]radprompt significance generate --reports experiments/demo/test.jsonl
    --output out/significance/test_pairs.jsonl --seed 1[/]
    """
    from radprompt.labelset import load_labelset
    from radprompt.reports import read_dataset
    from radprompt.significance import PERTURBATIONS, generate_pairs, load_vocabulary, write_pairs

    labels = load_labelset(labelset)
    words = load_vocabulary(labelset=labels, path=vocabulary)
    corpus = [report for path in reports
              for report in read_dataset(path, labelset=labels).reports]
    corpus = corpus[:limit] if limit is not None else corpus
    paraphrases = None
    if paraphrase_model:
        from radprompt.significance.llm_judges import LLMParaphraser

        paraphraser = LLMParaphraser(model=paraphrase_model, api_base=api_base,
                                     allow_remote=allow_remote)
        paraphrases = paraphraser.paraphrase(corpus)
        err_console.print(f"model paraphrases: {len(paraphrases)} of {len(corpus)} usable")
    pairs = generate_pairs(corpus, labelset=labels, vocabulary=words,
                           kinds=_split(kinds) if kinds else None, seed=seed,
                           paraphrases=paraphrases)
    summary = write_pairs(out, pairs)
    table = Table(title=f"{len(pairs.pairs)} pairs from {pairs.references} reports "
                        f"(seed {seed}) -> {out}")
    for column in ("kind", "category", "pairs", "skipped", "why skipped"):
        table.add_column(column, justify="right" if column in ("pairs", "skipped") else "left")
    for kind, counts in pairs.counts().items():
        reasons = "; ".join(f"{reason} ({n})" for reason, n in pairs.skipped[kind].items())
        category = "significant" if PERTURBATIONS[kind].significant else "harmless"
        table.add_row(kind, category, str(counts["pairs"]), str(counts["skipped"]), reasons)
    console.print(table)
    console.print(f"counts: {summary}")


def _rates_table(rates: dict[str, Any], *, title: str) -> Table:
    table = Table(title=title)
    for column in ("metric", "discrimination", "robustness", "balance", "AUC", "errors",
                   "harmless", "unscored"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    best = max((r.balance for r in rates.values()), default=0.0)
    for name, r in rates.items():
        balance = f"{r.balance:.3f}"
        table.add_row(name, f"{r.discrimination:.3f}", f"{r.robustness:.3f}",
                      f"[bold]{balance}[/]" if r.balance == best else balance, f"{r.auc:.3f}",
                      str(r.n_significant), str(r.n_harmless), str(r.unscored))
    return table


def _kinds_table(rates: dict[str, Any]) -> Table:
    from radprompt.significance import PERTURBATIONS

    table = Table(title="By kind: share penalised (significant kinds) or tolerated (harmless)")
    table.add_column("kind")
    table.add_column("category")
    for name in rates:
        table.add_column(name, justify="right")
    kinds = [kind for kind in PERTURBATIONS if any(kind in r.by_kind for r in rates.values())]
    for kind in kinds:
        category = "error: D" if PERTURBATIONS[kind].significant else "harmless: R"
        table.add_row(kind, category, *(f"{r.by_kind[kind]:.3f}" if kind in r.by_kind else "-"
                                        for r in rates.values()))
    return table


@significance_app.command("evaluate")
@handles_errors
def evaluate_command(
    pairs_file: Annotated[Path, typer.Option("--pairs", "-p", help="Pairs file from "
                                             "'significance generate'.")],
    metrics: Annotated[str, typer.Option(help="Comma-separated metrics: trained, "
                                         "judge_one_pass, judge_two_pass and any of the "
                                         "metrics registry (bleu, rouge, bertscore, ranscore, "
                                         "meteor, judge ...).")] = "bleu,rouge,ranscore",
    model: ModelOption = None,
    tolerance: Annotated[float, typer.Option(help="Robustness: a harmless pair is tolerated "
                                             "when its score is within this of the unchanged "
                                             "report's.")] = 0.02,
    margin: Annotated[float, typer.Option(help="Discrimination: an error pair is penalised "
                                          "when its score is more than this below the "
                                          "unchanged report's.")] = 0.0,
    out: Annotated[Path | None, typer.Option("--output", "-o", help="Folder for rates.json, "
                                             "scores.jsonl and tradeoff.png.")] = None,
    labelset: LabelsetOption = "chestxray21",
    judge_model: JudgeModelOption = None,
    api_base: ApiBaseOption = None,
    judge_recipe: RecipeOption = None,
    allow_remote: AllowRemoteOption = False,
) -> None:
    """Discrimination, robustness, balance and AUC of each metric, by kind, with a plot.

    Discrimination: share of error pairs scored below the metric's own score of the unchanged
    report. Robustness: share of harmless pairs scored within --tolerance of it. Balance:
    their harmonic mean. AUC: chance that an error pair loses more than a harmless pair.
    LLM judges report their requests and tokens.

    Example: [bold]radprompt significance evaluate --pairs out/significance/test_pairs.jsonl
    --metrics bleu,rouge,bertscore,ranscore,trained --model out/significance/model.joblib
    --output out/significance/eval[/]
    """
    from radprompt.significance import read_pairs
    from radprompt.significance.discrimination import evaluate_pairs

    pairs = read_pairs(pairs_file)
    built = _build(metrics, model=model, labelset=labelset,
                   judge_options=_judge_options(judge_model, api_base, judge_recipe,
                                                allow_remote))
    evaluation = evaluate_pairs(pairs, metrics=built, tolerance=tolerance, margin=margin)
    console.print(_rates_table(evaluation.rates, title=f"{len(pairs)} pairs from {pairs_file} "
                               f"(tolerance {tolerance:g}, margin {margin:g})"))
    console.print(_kinds_table(evaluation.rates))
    for name, scores in evaluation.scores.items():
        if scores.usage:
            usage = scores.usage
            console.print(f"{name}: {usage['requests']} requests, {usage['cache_hits']} cached, "
                          f"{usage['prompt_tokens']} prompt + {usage['completion_tokens']} "
                          f"completion tokens, {scores.seconds:.1f} s", highlight=False)
    if out is not None:
        console.print(f"wrote {', '.join(map(str, evaluation.write(out)))}")


@significance_app.command("train")
@handles_errors
def train_command(
    pairs_file: Annotated[Path, typer.Option("--pairs", "-p", help="Training pairs.")],
    out: Annotated[Path, typer.Option("--output", "-o", help="Model path: writes <out>.joblib "
                                      "and the <out>.json sidecar.")],
    heldout: Annotated[Path | None, typer.Option(help="Held-out pairs to report "
                                                 "discrimination / robustness on.")] = None,
    radjudge: Annotated[bool, typer.Option(help="Also run the RadJudge cases (when the shared "
                                           "data has them).")] = True,
    c: Annotated[float, typer.Option("--C", help="Inverse regularisation strength.")] = 1.0,
    labelset: LabelsetOption = "chestxray21",
    vocabulary: Annotated[Path | None, typer.Option(help="Vocabulary YAML.")] = None,
    tolerance: Annotated[float, typer.Option(help="Robustness tolerance (held-out).")] = 0.02,
) -> None:
    """Fit and save the interpretable significance metric; show weights and held-out rates.

    A logistic regression on finding-level features (added, removed and negated findings,
    side, severity, size and device-position mismatches, per-label disagreements); prints its
    weights, its rates on held-out pairs and its RadJudge agreement.

    Example: [bold]radprompt significance train --pairs out/significance/train_pairs.jsonl
    --heldout out/significance/test_pairs.jsonl --output out/significance/model[/]
    """
    from radprompt.significance import read_pairs
    from radprompt.significance.trained import SignificanceClassifier, TrainedSignificance

    pairs = read_pairs(pairs_file)
    model = SignificanceClassifier(labelset=labelset, vocabulary=vocabulary, C=c)
    model.fit_pairs(pairs)
    paths = model.save(out)
    table = Table(title=f"weights (log-odds of a significant error per unit), trained on "
                        f"{len(pairs)} pairs")
    table.add_column("feature")
    table.add_column("weight", justify="right")
    for name, weight in sorted(model.coefficients().items(), key=lambda kv: -abs(kv[1])):
        if weight:
            table.add_row(name, f"{weight:+.3f}")
    table.add_row("(intercept)", f"{model.intercept:+.3f}")
    console.print(table)
    console.print(f"wrote {paths[0]} and {paths[1]}")
    metric = TrainedSignificance(model=model)
    if heldout is not None:
        from radprompt.significance.discrimination import evaluate_pairs

        evaluation = evaluate_pairs(read_pairs(heldout), metrics={"trained": metric},
                                    tolerance=tolerance)
        console.print(_rates_table(evaluation.rates, title=f"held out: {heldout}"))
        console.print(_kinds_table(evaluation.rates))
    if radjudge:
        from radprompt.radjudge import check_rankings, default_radjudge_path, read_radjudge

        path = default_radjudge_path()
        if path is None:
            console.print("RadJudge: no cases file in the shared data folder; skipped")
        else:
            result = check_rankings(read_radjudge(path), metric=metric, name="trained")
            console.print(f"RadJudge: {result.reproduced} of {len(result.tests)} rankings "
                          f"reproduced; failed: {', '.join(result.failures) or 'none'}")


@significance_app.command("radjudge")
@handles_errors
def radjudge_command(
    metrics: Annotated[str, typer.Option(help="Comma-separated metrics (as for evaluate).")]
    = "bleu,rouge,ranscore",
    cases: Annotated[Path | None, typer.Option(help="RadJudge cases file (default: the shared "
                                               "data copy).")] = None,
    model: ModelOption = None,
    tolerance: Annotated[float, typer.Option(help="'=' holds within this; '>' needs more.")]
    = 1e-6,
    labelset: LabelsetOption = "chestxray21",
    judge_model: JudgeModelOption = None,
    api_base: ApiBaseOption = None,
    judge_recipe: RecipeOption = None,
    allow_remote: AllowRemoteOption = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """How many of the 30 RadJudge expected rankings each metric reproduces, and which fail.

    Example: [bold]radprompt significance radjudge --metrics ranscore,trained,bleu,rouge
    --model out/significance/model.joblib[/]
    """
    from radprompt.radjudge import check_rankings, read_radjudge

    tests = read_radjudge(cases)
    built = _build(metrics, model=model, labelset=labelset,
                   judge_options=_judge_options(judge_model, api_base, judge_recipe,
                                                allow_remote))
    results = [check_rankings(tests, metric=metric, name=name, tolerance=tolerance)
               for name, metric in built.items()]
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in results], indent=2))
        return
    table = Table(title=f"RadJudge: {len(tests)} ranking cases ('=' within {tolerance:g})")
    for column in ("metric", "reproduced", "failed cases"):
        table.add_column(column, justify="right" if column == "reproduced" else "left")
    for result in results:
        table.add_row(result.metric, f"{result.reproduced} / {len(tests)}",
                      ", ".join(result.failures) or "-")
    console.print(table)
    by_id = {test.id: test for test in tests}
    for result in results:
        for test_id, wrong in result.failures.items():
            scores = ", ".join(f"{k}={v:.4f}" for k, v in result.scores[test_id].items())
            console.print(f"  {result.metric} {test_id} ({by_id[test_id].category}): expected "
                          f"{'; '.join(wrong)}; scores {scores}", highlight=False)
