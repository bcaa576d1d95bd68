"""The end of a run: the transfer report (initial vs final on every split and gold source, and
the guard examples' pass count), the test figures in the manifest, and the plots.

``transfer`` in the manifest::

    {"target": "negbio",
     "macro_f1": {"test": {"negbio": {"initial": 0.63, "final": 0.72},
                           "mesh": {"initial": 0.55, "final": 0.56}}, "dev": ..., "train": ...},
     "guard_examples": {"initial": {"passed": 250, "total": 252},
                        "final": {"passed": 251, "total": 252}, "failures": [...]},
     "skipped": ["train: the request or token budget is spent"]}   # only when steps were left out
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from radprompt.experiments import SPLITS, Experiment
from radprompt.guards import check_guard_examples
from radprompt.labelset import LabelSet
from radprompt.optimizers.program import Program
from radprompt.optimizers.rounds import count_usage, labelset_of, score_program
from radprompt.optimizers.transfer import guard_scores
from radprompt.reports import Dataset
from radprompt.runs import ExtractionScore, Run
from radprompt.scoring import ScoreReport

__all__ = ["finish_run", "transfer_report"]

logger = logging.getLogger(__name__)


def transfer_report(*, experiment: Experiment, labelset: LabelSet, initial: Program,
                    final: Program, usage: dict[str, int],
                    spent: Callable[[], bool] = lambda: False,
                    ) -> tuple[dict[str, Any], ScoreReport, ScoreReport]:
    """Score ``initial`` and ``final`` on every split against the target and each guard.

    Returns the report and the target's test scores (initial, final). The test split comes
    first; the guard examples, dev and train follow while ``spent()`` (the request or token
    budget) allows, checked between steps as the search does, and a step left out is named in
    the report's ``skipped``. A version is run once when the run changed nothing.
    """
    macro: dict[str, dict[str, dict[str, float]]] = {}
    tests: dict[str, ScoreReport] = {}
    skipped: list[str] = []
    steps = ["test", "guard examples", *(split for split in SPLITS if split != "test")]
    examples: dict[str, Any] = {}
    for step in steps:
        if step != "test" and spent():
            skipped.append(f"{step}: the request or token budget is spent")
            continue
        if step == "guard examples":
            examples = _guard_examples(labelset, initial, final, usage)
            continue
        row: dict[str, dict[str, float]] = {}
        for which, evaluation in _both(experiment.split(step), labelset, initial, final, usage):
            row.setdefault(experiment.target, {})[which] = evaluation.report.macro_f1
            version = initial if which == "initial" else final  # scored by its own policies
            for name, report in guard_scores(evaluation.predictions,
                                             experiment.guard_splits(step),
                                             labelset=labelset_of(version, labelset)).items():
                row.setdefault(name, {})[which] = report.macro_f1
            if step == "test":
                tests[which] = evaluation.report
        macro[step] = row
    result: dict[str, Any] = {"target": experiment.target, "guards": sorted(experiment.guards),
                              "macro_f1": {split: macro[split] for split in SPLITS
                                           if split in macro}}
    if examples:
        result["guard_examples"] = examples
    if skipped:
        result["skipped"] = skipped
    return result, tests["initial"], tests["final"]


def _both(dataset: Dataset, labelset: LabelSet, initial: Program, final: Program,
          usage: dict[str, int]) -> list[tuple[str, ExtractionScore]]:
    """The initial and final version scored on ``dataset`` (once when they are the same)."""
    first = score_program(initial, dataset, labelset, usage=usage)
    last = first if final.hash == initial.hash else score_program(final, dataset, labelset,
                                                                  usage=usage)
    return [("initial", first), ("final", last)]


def _guard_examples(labelset: LabelSet, initial: Program, final: Program,
                    usage: dict[str, int]) -> dict[str, Any]:
    """The guard examples' pass counts of both versions and the final one's failures (run
    once when the versions are the same; for an LLM, answers the run's cache holds from the
    search cost no request)."""
    examples: dict[str, Any] = {}
    guard = None
    for which, program in (("initial", initial), ("final", final)):
        if guard is None or final.hash != initial.hash:
            extractor = program.build_extractor()
            guard = check_guard_examples(labelset_of(program, labelset), extractor)
            count_usage(usage, extractor.usage_)
        examples[which] = {"passed": guard.passed, "total": guard.total}
    assert guard is not None
    examples["failures"] = [
        {"label_id": f.label_id, "text": f.text, "expected": str(f.expected.value),
         "got": str(f.got.value)} for f in guard.failures]
    return examples


def finish_run(run: Run, *, experiment: Experiment, labelset: LabelSet, initial: Program,
               final: Program, status: str, reason: str, usage: dict[str, int],
               skip_scoring: bool, spent: Callable[[], bool] = lambda: False,
               ) -> tuple[ScoreReport | None, ScoreReport | None]:
    """Record the end of a run; score and plot unless the budget or the model forbids it
    (``spent``: the transfer report's optional steps stop when it says so)."""
    if skip_scoring:
        # Scoring would send more requests than the budget allows, or to a model that does
        # not answer.
        why = ("the request or token budget is spent; resume with a larger budget to score "
               "the test split") if status != "failed" else reason
        run.update_manifest(status=status, reason=reason, current_version=final.hash,
                            usage=usage, test_skipped=why)
        return None, None
    transfer, initial_test, final_test = transfer_report(
        experiment=experiment, labelset=labelset, initial=initial, final=final, usage=usage,
        spent=spent)
    run.update_manifest(
        usage=usage, status=status, reason=reason, current_version=final.hash,
        test_macro_f1_initial=initial_test.macro_f1, test_macro_f1_final=final_test.macro_f1,
        test_initial=initial_test.to_json(), test_final=final_test.to_json(),
        transfer=transfer,
    )
    try:
        from radprompt.optimizers.plots import plot_run

        plot_run(run)
    except ImportError as exc:
        logger.warning("no plots: %s", exc)
    return initial_test, final_test
