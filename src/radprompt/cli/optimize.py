"""``radprompt optimize`` (``radprompt runs`` lives in ``cli/runs.py``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from radprompt.cli import app
from radprompt.cli._common import (
    LLM_PANEL,
    AllowRemoteOption,
    ApiBaseOption,
    ConcurrencyOption,
    LabelsetOption,
    ModeOption,
    console,
    err_console,
    handles_errors,
)
from radprompt.cli.runs import RunsDirOption, render_transfer
from radprompt.errors import InputError
from radprompt.labelset import LabelSet
from radprompt.optimizers import OptimizeConfig, optimize, resume
from radprompt.optimizers.loop import OptimizeOutcome
from radprompt.optimizers.prompt_program import PLACEMENT_KEYS
from radprompt.runs import RoundRecord, Run
from radprompt.scoring import ScoreReport


class RichReporter:
    """Renders the loop's events: trial progress (a rich bar on a terminal, a line per trial
    otherwise), then a per-round table."""

    def __init__(self, *, trials: int) -> None:
        self.trials = trials
        self._progress: Progress | None = None
        self._task: Any = None
        self._round = 0
        self._started = time.monotonic()

    def round_started(self, number: int, failing: list[str]) -> None:
        console.rule(f"round {number}")
        console.print(f"worst failing labels on dev: {', '.join(failing)}")
        self._round = number
        self._started = time.monotonic()
        if err_console.is_terminal:
            self._progress = Progress(TextColumn(f"round {number}: searching"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(),
                                      console=err_console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("trials", total=self.trials)

    def trial_finished(self, done: int, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, completed=done, total=total)
        else:
            console.print(f"round {self._round}: trial {done}/{total}, elapsed "
                          f"{time.monotonic() - self._started:.1f} s", highlight=False)

    def round_finished(self, record: RoundRecord, labelset: LabelSet) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        table = Table(title=f"round {record.round}: per-label F1 on dev")
        for column in ("label", "before", "after", "Δ", "verdict"):
            table.add_column(column, justify="left" if column in ("label", "verdict")
                             else "right")
        for label_id, after in record.dev_f1.items():
            before = record.dev_f1_before[label_id]
            verdict = record.dev_verdict[label_id]
            colour = {"pass": "green", "fail": "red"}.get(verdict, "yellow")
            delta = after - before
            table.add_row(labelset.get(label_id).name, f"{before:.3f}", f"{after:.3f}",
                          f"{delta:+.3f}" if abs(delta) > 5e-4 else "",
                          f"[{colour}]{verdict}[/]")
        console.print(table)
        console.print(
            f"dev macro-F1 {record.dev_macro_f1_before:.4f} -> "
            f"[bold]{record.dev_macro_f1:.4f}[/]   train macro-F1 "
            f"{record.train_macro_f1:.4f}   trials {record.trials} "
            f"({record.pruned} pruned)")
        if record.proposal:
            console.print(f"proposal {record.proposal}:")
            for change in record.chosen:
                console.print(f"  • {change}", highlight=False)
            for name, value in record.settings.items():
                console.print(f"  • setting {name} = {value}", highlight=False)

    def message(self, text: str) -> None:
        console.print(text)


def render_outcome(outcome: OptimizeOutcome) -> None:
    console.rule("result")
    console.print(f"run: {outcome.run.path}")
    console.print(f"status: [bold]{outcome.status}[/] — {outcome.reason}")
    manifest = outcome.run.manifest
    usage = manifest.usage
    if usage.get("requests") or usage.get("tokens"):
        console.print(f"LLM requests sent: {usage.get('requests', 0)}, tokens: "
                      f"{usage.get('tokens', 0)} (cached answers are free)")
    if manifest.test_skipped:
        console.print(f"test split not scored: {manifest.test_skipped}")
    if outcome.initial_test is not None and outcome.final_test is not None:
        render_before_after(outcome.initial_test, outcome.final_test)
        render_transfer(manifest)
        plots = sorted((outcome.run.path / "plots").glob("*.png"))
        if plots:
            console.print("plots: " + ", ".join(str(p) for p in plots))


def render_before_after(initial: ScoreReport, final: ScoreReport) -> None:
    table = Table(title="held-out test split: per-label F1")
    for column in ("label", "support", "initial", "optimized", "Δ", "verdict"):
        table.add_column(column, justify="left" if column in ("label", "verdict") else "right")
    for before, after in zip(initial.labels, final.labels, strict=True):
        colour = {"pass": "green", "fail": "red"}.get(after.verdict.value, "yellow")
        delta = after.f1 - before.f1
        table.add_row(after.name, str(after.support), f"{before.f1:.3f}", f"{after.f1:.3f}",
                      f"{delta:+.3f}" if abs(delta) > 5e-4 else "",
                      f"[{colour}]{after.verdict.value}[/]")
    console.print(table)
    console.print(f"test macro-F1: {initial.macro_f1:.4f} -> [bold]{final.macro_f1:.4f}[/]   "
                  f"micro-F1: {initial.micro_f1:.4f} -> {final.micro_f1:.4f}")


@app.command("optimize")
@handles_errors
# long: typer declares each of the verb's options in the signature; the body is short
def optimize_command(
    labelset: LabelsetOption = "chestxray21",
    experiment: Annotated[
        str, typer.Option("--experiment", "-x",
                          help="Experiment (train / dev / test data): a name in experiments/ "
                               "or a YAML path.")
    ] = "demo",
    extractor: Annotated[
        str | None,
        typer.Option("--extractor", "-e", help="What to optimize: 'rules' (default), or an LLM "
                     "recipe in extractors/ (vllm-qwen3-14b) or a YAML path."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", rich_help_panel=LLM_PANEL,
                     help="Optimize the prompt of this LiteLLM model (hosted_vllm/<served "
                          "model> with --api-base, openai/..., ollama/...); overrides the "
                          "recipe's."),
    ] = None,
    api_base: ApiBaseOption = None,
    allow_remote: AllowRemoteOption = False,
    mode: ModeOption = None,
    temperature: Annotated[
        float | None, typer.Option(rich_help_panel=LLM_PANEL, help="Starting temperature.")
    ] = None,
    concurrency: ConcurrencyOption = None,
    optimizer: Annotated[
        str, typer.Option("--optimizer", help="Optimizer recipe in optimizers/.")
    ] = "error_driven",
    auto_approve: Annotated[
        bool | None,
        typer.Option("--auto-approve/--review",
                     help="Accept proposals whose changes only widen labels or change "
                          "settings automatically (recorded as such in the audit log); a "
                          "proposal that narrows a label (removes a phrase, adds an exclusion,"
                          " changes an uncertainty policy, deletes guidance) waits for a "
                          "reviewer. '--auto-approve all' accepts narrowing changes too. "
                          "--review: stop after every proposal. Default: --auto-approve for "
                          "the rule engine, --review for an LLM prompt."),
    ] = None,
    approve_scope: Annotated[
        str | None,
        typer.Argument(hidden=True, metavar="",
                       help="'all' after --auto-approve: accept narrowing changes too."),
    ] = None,
    max_rounds: Annotated[int, typer.Option(help="Stop after this many rounds.")] = 8,
    max_requests: Annotated[
        int | None, typer.Option(help="Stop when this many LLM requests are spent.")] = None,
    max_tokens: Annotated[
        int | None, typer.Option(help="Stop when this many LLM tokens are spent.")] = None,
    time_limit: Annotated[
        float | None, typer.Option(help="Stop after this many seconds.")] = None,
    trials: Annotated[int, typer.Option(help="Optuna trials per round.")] = 30,
    labels_per_round: Annotated[
        int, typer.Option(help="How many of the worst failing labels each round revises.")
    ] = 3,
    seed: Annotated[int, typer.Option(help="Seed of the search.")] = 0,
    resume_run: Annotated[
        Path | None, typer.Option("--resume", help="Continue this run (after a crash, a kill "
                                                   "or a review) instead of starting one; "
                                                   "--max-requests, --max-tokens, --time-limit,"
                                                   " --api-base, --allow-remote and "
                                                   "--concurrency given with it apply.")
    ] = None,
    runs_dir: RunsDirOption = Path("runs"),
) -> None:
    """Improve an extractor round by round until every label's F1 clears its threshold on dev.

    Each round: score on train and dev, analyse the errors of the worst failing labels, propose
    revisions (the lexical miner mines phrases, cues and exclusions for the rule engine; for
    an LLM the recipe's proposer rewrites label guidance and picks demos), let Optuna pick the
    best combination (and decoding settings) on dev, and turn it into a reviewable proposal.
    At the end the first and the last version are scored on the held-out test split; a run
    directory keeps every version, proposal, decision, the Optuna study, the LLM answer cache
    and plots. LLM requests and tokens count against --max-requests / --max-tokens.

    Examples: [bold]radprompt optimize --labelset chestxray21[/] (the demo corpus, rule engine,
    offline); [bold]radprompt optimize -m hosted_vllm/Qwen/Qwen3-14B --api-base
    http://127.0.0.1:8000/v1 --max-requests 20000[/] (the prompt, stopping for review after
    each proposal); [bold]radprompt optimize --resume runs/<run>[/] after a crash or a review.
    """
    if approve_scope is not None:
        if approve_scope != "all" or auto_approve is not True:
            raise InputError(Path(approve_scope), "unexpected argument; did you mean "
                             "'--auto-approve all' (accept narrowing changes too)?")
        auto_approve_mode: bool | str | None = "all"
    else:
        auto_approve_mode = auto_approve
    trials_total = trials if resume_run is None else int(
        Run.open(resume_run).manifest.config.get("n_trials", trials))
    reporter = RichReporter(trials=trials_total)
    llm = {key: value for key, value in {
        "model": model, "api_base": api_base, "allow_remote": True if allow_remote else None,
        "mode": mode, "temperature": temperature, "concurrency": concurrency,
    }.items() if value is not None}
    if resume_run is not None:
        changes: dict[str, Any] = {key: value for key, value in {
            "max_requests": max_requests, "max_tokens": max_tokens, "time_limit": time_limit,
        }.items() if value is not None}
        placement = {key: value for key, value in llm.items() if key in PLACEMENT_KEYS}
        if placement:
            changes["llm"] = placement
        outcome = resume(resume_run, reporter=reporter, changes=changes)
    else:
        if extractor is None:
            extractor = "llm" if model else "rules"
        if extractor == "rules" and llm:
            raise InputError(Path("rules"), f"--{next(iter(llm)).replace('_', '-')} is an LLM "
                             "option; give --model or an LLM recipe with --extractor")
        config = OptimizeConfig(
            labelset=labelset, experiment=experiment, extractor=extractor, optimizer=optimizer,
            auto_approve=auto_approve_mode, llm=llm,
            max_rounds=max_rounds, max_requests=max_requests, max_tokens=max_tokens,
            time_limit=time_limit, n_trials=trials, labels_per_round=labels_per_round,
            seed=seed,
        )
        what = llm.get("model") or extractor
        console.print(f"optimizing [bold]{what}[/] for {labelset} on experiment {experiment}"
                      + ("" if auto_approve_mode is None
                         else f" (auto-approve: {config.approval})"))
        outcome = optimize(config, runs_dir=runs_dir, reporter=reporter)
    render_outcome(outcome)
