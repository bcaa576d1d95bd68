"""Clinical significance: does a report metric penalise errors and tolerate rephrasing?

``generate_pairs`` makes labelled (reference, variant) pairs from reference reports: variants
with a clinically significant error (``negation_flip``, ``laterality_swap``,
``severity_change``, ``false_finding``, ``omitted_finding``, ``device_malposition``,
``wrong_measurement``) and harmless variations (``paraphrase``, ``synonym``, ``reordering``,
``abbreviation``, ``formatting``, ``hedging_neutral``). ``evaluate_pairs`` measures any metric's
discrimination (errors it penalises), robustness (variations it tolerates), their balance and
AUC. ``SignificanceClassifier`` is a trained, interpretable metric on finding-level features;
``OnePassJudge`` and ``TwoPassJudge`` are LLM evaluators; ``radprompt.radjudge.check_rankings``
runs the RadJudge ranking cases. Importing this package is light: scikit-learn, matplotlib,
torch and the LLM client are imported by the functions that need them.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Report
    >>> from radprompt.significance import generate_pairs
    >>> pairs = generate_pairs([Report("r1", "FINDINGS: Small left pleural effusion.")],
    ...                        labelset=load_labelset("chestxray21"), seed=0)
    >>> sorted({pair.kind for pair in pairs.pairs})[:3]
    ['false_finding', 'formatting', 'laterality_swap']
"""

from radprompt.significance._errors import ERRORS
from radprompt.significance._variations import VARIATIONS
from radprompt.significance.perturb import (
    Pair,
    PairSet,
    Perturbation,
    Skip,
    Source,
    Variant,
    generate_pairs,
    read_pairs,
    write_pairs,
)
from radprompt.significance.vocabulary import PerturbationVocabulary, load_vocabulary

__all__ = [
    "ERROR_KINDS",
    "PERTURBATIONS",
    "VARIATION_KINDS",
    "Pair",
    "PairSet",
    "Perturbation",
    "PerturbationVocabulary",
    "Skip",
    "Source",
    "Variant",
    "generate_pairs",
    "load_vocabulary",
    "read_pairs",
    "write_pairs",
]

PERTURBATIONS: dict[str, type[Perturbation]] = {**ERRORS, **VARIATIONS}
"""Every perturbation operator by name (the ``kind`` of the pairs it makes)."""

ERROR_KINDS: tuple[str, ...] = tuple(ERRORS)
"""Kinds whose variants carry a clinically significant error."""

VARIATION_KINDS: tuple[str, ...] = tuple(VARIATIONS)
"""Kinds whose variants are harmless."""
