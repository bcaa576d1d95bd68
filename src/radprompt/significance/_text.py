"""Small text edits shared by the perturbation operators."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from radprompt.significance.analysis import ReportAnalysis
from radprompt.significance.vocabulary import Rewrite

__all__ = [
    "apply_rewrite",
    "capitalise",
    "changed_labels",
    "decapitalise",
    "format_number",
    "keep_case",
    "mentioned_labels",
    "remove_sentence",
    "replace_spans",
]

_LIST_NUMBER = re.compile(r"[ \t]*(?:\(?\d{1,2}[.)])?[ \t]*")


def replace_spans(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """Apply non-overlapping ``(start, end, new)`` edits to ``text``."""
    out = text
    for start, end, new in sorted(edits, key=lambda edit: edit[0], reverse=True):
        out = out[:start] + new + out[end:]
    return out


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def decapitalise(text: str) -> str:
    """Lower-case the first letter unless the first word is an acronym (ETT, PICC)."""
    first = text.split(" ", 1)[0]
    if len(first) > 1 and first[:2].isupper():
        return text
    return text[:1].lower() + text[1:]


def keep_case(original: str, replacement: str) -> str:
    """``replacement`` written in the case of ``original`` (UPPER, Capitalised or as given)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper():
        return capitalise(replacement)
    return replacement


def apply_rewrite(rewrite: Rewrite, sentence: str) -> str | None:
    """The sentence rewritten (groups lower-cased where they move, re-capitalised), or None."""
    match = rewrite.regex.search(sentence)
    if match is None:
        return None
    groups = {name: decapitalise(value or "") for name, value in match.groupdict().items()}
    new = rewrite.replacement.format(**groups)
    if match.start() == 0:
        new = capitalise(new)
    return sentence[:match.start()] + new + sentence[match.end():]


def format_number(value: float, *, integer: bool) -> str:
    if integer:
        return str(max(1, round(value)))
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text if text != "0" else "0.1"


def remove_sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """The span to delete to remove the sentence ``text[start:end]`` cleanly: with its list
    number and line when it is alone on its line, else with the spaces after it."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    if _LIST_NUMBER.fullmatch(text[line_start:start]) and not text[end:line_end].strip():
        return line_start, min(len(text), line_end + 1)
    stop = end
    while stop < len(text) and text[stop] in " \t":
        stop += 1
    if stop == line_end:  # last on its line: take the spaces before it instead
        while start > line_start and text[start - 1] in " \t":
            start -= 1
    return start, stop


def changed_labels(before: ReportAnalysis, after: ReportAnalysis) -> tuple[str, ...]:
    """Labels whose positivity (present or uncertain vs not) differs between two readings."""
    return tuple(label_id for label_id in before.extracted_labels
                 if before.is_positive(label_id) != after.is_positive(label_id))


def mentioned_labels(analysis: ReportAnalysis, indices: Sequence[int]) -> tuple[str, ...]:
    """Labels any of the sentences at ``indices`` mentions, in labelset order."""
    seen = {label_id for i in indices for label_id in analysis.sentences[i].states}
    return tuple(label_id for label_id in analysis.extracted_labels if label_id in seen)
