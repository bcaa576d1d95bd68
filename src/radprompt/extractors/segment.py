"""Split a report into sentences, dropping section headers and list numbers.

Handles inline headers ("FINDINGS: No pneumothorax."), numbered impressions ("1. ... 2. ..."),
decimals ("2.5 cm"), abbreviations ("vs.") and the IU "XXXX" de-identification masks (kept as
words, so a mask never ends a sentence or hides a cue's scope).

Example::

    >>> [text[s:e] for text in ["FINDINGS: No effusion. IMPRESSION: 1. Clear."]
    ...  for s, e in sentence_spans(text)]
    ['No effusion.', 'Clear.']
"""

from __future__ import annotations

import re

__all__ = ["sentence_spans"]

_HEADER_WORDS = (
    "findings|impression|impressions|indication|indications|comparison|comparisons|history|"
    "clinical history|technique|examination|exam|conclusion|conclusions|reason for exam|"
    "reason for examination|recommendation|recommendations|procedure|clinical information|"
    "summary|note|notes|report|final report|views|view"
)

_BOUNDARY = re.compile(
    rf"""
      (?P<header>(?:(?<=^)|(?<=[\s.;])) (?:(?i:{_HEADER_WORDS})|[A-Z][A-Z/&]+(?:\ [A-Z/&]+){{0,4}})
                 \s*:(?!\d))
    | (?P<number>(?:(?<=^)|(?<=\s)) \(?\d{{1,2}}[.)](?=\s+[A-Za-z(]))
    | (?P<stop>(?<!\bvs)(?<!\bDr)(?<!\bdr)(?<!\be\.g)(?<!\bi\.e)(?<!\bapprox)[.!?;]+(?=\s|$))
    | (?P<newline>\n\s*(?=[-*\u2022]|\n))
    """,
    re.VERBOSE | re.MULTILINE,
)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` offsets of each sentence of ``text``, stripped of whitespace.

    The sentence-ending punctuation stays inside its sentence; headers and list numbers are
    left out of every sentence.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        if match.lastgroup == "stop":
            _append(spans, text, start, match.end())
        else:
            _append(spans, text, start, match.start())
        start = match.end()
    _append(spans, text, start, len(text))
    return spans


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start] in " \t\r\n-*\u2022":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        spans.append((start, end))
