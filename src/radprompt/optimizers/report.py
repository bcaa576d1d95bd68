"""The end of a run: the transfer report (initial vs final on every split and gold source, and
the guard examples' pass count), the test figures in the manifest, and the plots.

``transfer`` in the manifest::

    {"target": "negbio",
     "macro_f1": {"test": {"negbio": {"initial": 0.63, "final": 0.72},
                           "mesh": {"initial": 0.55, "final": 0.56}}, "dev": ..., "train": ...},
     "guard_examples": {"initial": {"passed": 250, "total": 252},
                        "final": {"passed": 251, "total": 252}, "failures": [...]}}
"""

from __future__ import annotations

import logging
from typing import Any

from radprompt.experiments import SPLITS, Experiment
from radprompt.guards import check_guard_examples
from radprompt.labelset import LabelSet
from radprompt.optimizers.program import Program
from radprompt.optimizers.rounds import count_usage, labelset_of, score_program
from radprompt.optimizers.transfer import guard_scores
from radprompt.runs import Run
from radprompt.scoring import ScoreReport

__all__ = ["finish_run", "transfer_report"]

logger = logging.getLogger(__name__)


def transfer_report(*, experiment: Experiment, labelset: LabelSet, initial: Program,
                    final: Program, usage: dict[str, int]) -> tuple[dict[str, Any],
                                                                    ScoreReport, ScoreReport]:
    """Score ``initial`` and ``final`` on every split against the target and each guard.

    Returns the report and the target's test scores (initial, final).
    """
    macro: dict[str, dict[str, dict[str, float]]] = {}
    tests: dict[str, ScoreReport] = {}
    for split in SPLITS:
        row: dict[str, dict[str, float]] = {}
        for which, program in (("initial", initial), ("final", final)):
            evaluation = score_program(program, experiment.split(split), labelset, usage=usage)
            row.setdefault(experiment.target, {})[which] = evaluation.report.macro_f1
            for name, report in guard_scores(evaluation.predictions,
                                             experiment.guard_splits(split),
                                             labelset=labelset_of(program, labelset)).items():
                row.setdefault(name, {})[which] = report.macro_f1
            if split == "test":
                tests[which] = evaluation.report
        macro[split] = row
    examples: dict[str, Any] = {}
    for which, program in (("initial", initial), ("final", final)):
        extractor = program.build_extractor()
        guard = check_guard_examples(labelset_of(program, labelset), extractor)
        count_usage(usage, extractor.usage_)
        examples[which] = {"passed": guard.passed, "total": guard.total}
        if which == "final":
            examples["failures"] = [
                {"label_id": f.label_id, "text": f.text, "expected": str(f.expected.value),
                 "got": str(f.got.value)} for f in guard.failures]
    return ({"target": experiment.target, "guards": sorted(experiment.guards),
             "macro_f1": macro, "guard_examples": examples}, tests["initial"], tests["final"])


def finish_run(run: Run, *, experiment: Experiment, labelset: LabelSet, initial: Program,
               final: Program, status: str, reason: str, usage: dict[str, int],
               skip_scoring: bool) -> tuple[ScoreReport | None, ScoreReport | None]:
    """Record the end of a run; score and plot unless the budget or the model forbids it."""
    if skip_scoring:
        # Scoring would send more requests than the budget allows, or to a model that does
        # not answer.
        why = ("the request or token budget is spent; resume with a larger budget to score "
               "the test split") if status != "failed" else reason
        run.update_manifest(status=status, reason=reason, current_version=final.hash,
                            usage=usage, test_skipped=why)
        return None, None
    transfer, initial_test, final_test = transfer_report(
        experiment=experiment, labelset=labelset, initial=initial, final=final, usage=usage)
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
