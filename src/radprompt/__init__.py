"""radprompt: radiology report finding extraction, prompt optimization and evaluation.

Importing ``radprompt`` is light; each name below is imported from its module on first use.
Every CLI verb is one of these calls (see the README).

Example::

    >>> import radprompt
    >>> labels = radprompt.load_labelset("chestxray21")
    >>> data = radprompt.read_dataset("experiments/demo/dev.jsonl", labelset=labels)
    >>> run = radprompt.extract_dataset(
    ...     data, extractor=radprompt.build_extractor("rules", labelset=labels))
    >>> report = radprompt.score(predictions={f.report_id: f for f in run.findings},
    ...                          references=data.references, labelset=labels)
    >>> table = radprompt.evaluate(references=["No pleural effusion."],
    ...                            generated={"a": ["No pleural effusion."]}, metrics=["rouge"])
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    # labelsets
    "LabelSet": "radprompt.labelset",
    "load_labelset": "radprompt.labelset",
    "check_guard_examples": "radprompt.guards",
    # reports and findings
    "Report": "radprompt.reports",
    "Dataset": "radprompt.reports",
    "read_dataset": "radprompt.reports",
    "write_findings": "radprompt.reports",
    "State": "radprompt.findings",
    "Finding": "radprompt.findings",
    "Findings": "radprompt.findings",
    "Attributes": "radprompt.findings",
    # extraction and scoring (radprompt extract / score)
    "Extractor": "radprompt.extractors.base",
    "RulesExtractor": "radprompt.extractors.rules",
    "LLMExtractor": "radprompt.extractors.llm",
    "LLMRecipe": "radprompt.llm",
    "build_extractor": "radprompt.pipeline",
    "extract_dataset": "radprompt.pipeline",
    "score": "radprompt.scoring",
    "score_files": "radprompt.pipeline",
    "ScoreReport": "radprompt.scoring",
    # prompts and evaluation (radprompt evaluate)
    "PromptVersion": "radprompt.prompts",
    "evaluate": "radprompt.evaluation",
}
"""Public names and the module each is imported from on first access."""

__all__ = [
    "Attributes",
    "Dataset",
    "Extractor",
    "Finding",
    "Findings",
    "LLMExtractor",
    "LLMRecipe",
    "LabelSet",
    "PromptVersion",
    "Report",
    "RulesExtractor",
    "ScoreReport",
    "State",
    "__version__",
    "build_extractor",
    "check_guard_examples",
    "evaluate",
    "extract_dataset",
    "load_labelset",
    "read_dataset",
    "score",
    "score_files",
    "write_findings",
]

if TYPE_CHECKING:
    from radprompt.evaluation import evaluate
    from radprompt.extractors.base import Extractor
    from radprompt.extractors.llm import LLMExtractor
    from radprompt.extractors.rules import RulesExtractor
    from radprompt.findings import Attributes, Finding, Findings, State
    from radprompt.guards import check_guard_examples
    from radprompt.labelset import LabelSet, load_labelset
    from radprompt.llm import LLMRecipe
    from radprompt.pipeline import build_extractor, extract_dataset, score_files
    from radprompt.prompts import PromptVersion
    from radprompt.reports import Dataset, Report, read_dataset, write_findings
    from radprompt.scoring import ScoreReport, score


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'radprompt' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
