"""Which language the scored reports are in, for the metrics whose tokenizer or model depends on it.

Each pair is Chinese when either side is (``radprompt.languages.detect_language``), else
English. Metrics pick their tokenizer from it and say so in a note, which ``evaluate`` prints.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from radprompt.languages import detect_language

__all__ = ["ENGLISH_ONLY", "language_note", "pair_languages"]

ENGLISH_ONLY = "en"


def pair_languages(predictions: Sequence[str], references: Sequence[str]) -> list[str]:
    """``zh`` for a pair whose prediction or reference is Chinese, else ``en``."""
    cache: dict[str, str] = {}

    def language(text: str) -> str:
        found = cache.get(text)
        if found is None:
            found = cache[text] = detect_language(text)
        return found

    return ["zh" if "zh" in (language(p), language(r)) else "en"
            for p, r in zip(predictions, references, strict=True)]


def language_note(languages: Sequence[str], *, tokens: str) -> str:
    """"language zh (detected on 12 of 12 pairs): <tokens>"."""
    counts = Counter(languages)
    parts = ", ".join(f"{code} on {count} of {len(languages)} pairs"
                      for code, count in counts.most_common())
    return f"language detected: {parts or 'no pairs'}; {tokens}"
