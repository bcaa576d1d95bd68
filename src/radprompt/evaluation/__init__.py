"""Evaluation of generated reports against references (``radprompt evaluate``).

Example::

    >>> from radprompt.evaluation import evaluate
    >>> reference = "The heart size is normal. There is no pleural effusion."
    >>> table = evaluate(references=[reference], generated={"copy": [reference]},
    ...                  metrics=["bleu"], n_resamples=10)
    >>> round(float(table.loc["copy", "bleu.bleu4"]), 6)
    1.0
"""

from radprompt.evaluation.core import Evaluation, evaluate, evaluate_reports
from radprompt.evaluation.inputs import PairedReports, pair_reports, read_texts

__all__ = ["Evaluation", "PairedReports", "evaluate", "evaluate_reports", "pair_reports",
           "read_texts"]
