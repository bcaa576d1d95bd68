"""Split a report into sentences, dropping section headers and list numbers.

Handles inline headers ("FINDINGS: No pneumothorax."), numbered impressions ("1. ... 2. ...",
also written without spaces: "1.No effusion.2.Clear"),
decimals ("2.5 cm"), abbreviations ("vs.") and the IU "XXXX" de-identification masks (kept as
words, so a mask never ends a sentence or hides a cue's scope). A full stop typed without the
space after it still ends a sentence when a capitalised word follows ("No effusion.Right lower
lobe consolidation."). A templated report's header that names an organ or the devices
("HEART: Mildly enlarged.") is kept as its first sentence's subject.

Example::

    >>> [text[s:e] for text in ["FINDINGS: No effusion. IMPRESSION: 1. Clear."]
    ...  for s, e in sentence_spans(text)]
    ['No effusion.', 'Clear.']
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Sentence", "cached_sentences", "sentence_spans", "sentences"]

_HEADER_WORDS = (
    "findings|impression|impressions|indication|indications|comparison|comparisons|history|"
    "clinical history|technique|examination|exam|conclusion|conclusions|reason for exam|"
    "reason for examination|recommendation|recommendations|procedure|clinical information|"
    "summary|note|notes|report|final report|views|view"
)

# The first line and the lookaheads only make it fast: most positions (inside a word) fail
# the first line at once, and a word not followed by ":" is never tried as each header word
# (a header is at most 120 characters, so that the look-ahead never scans a whole report).
_BOUNDARY = re.compile(
    rf"""
    (?:(?<=[\s.;])|^|(?=[.!?;\n]))
    (?:
      (?P<header>(?:(?<=^)|(?<=[\s.;])) (?=[A-Za-z][A-Za-z/&\s]{{0,120}}:)
                 (?:(?i:{_HEADER_WORDS})|[A-Z][A-Z/&]+(?:\ [A-Z/&]+){{0,4}}) \s*:(?!\d))
    | (?P<number>(?:(?<=^)|(?<=[\s.;])) \(?\d{{1,2}}[.)](?=\s*[A-Za-z(]))
    | (?P<stop>(?=[.!?;])(?<!\bvs)(?<!\bDr)(?<!\bdr)(?<!\be\.g)(?<!\bi\.e)(?<!\bapprox)
               [.!?;]+(?=\s|$|(?<=[a-z][.;])[A-Z][a-z]))
    | (?P<newline>\n\s*(?=[-*\u2022]|\n))
    )
    """,
    re.VERBOSE | re.MULTILINE,
)


_ALNUM = re.compile(r"[^\W_]")
"""A letter or digit: a stretch without one is not a sentence."""


class Sentence(NamedTuple):
    start: int
    end: int
    section: str
    """The lower-cased header the sentence falls under ("findings"), or "" before any header."""


def sentences(text: str) -> tuple[Sentence, ...]:
    """Every sentence of ``text`` with its offsets (stripped) and section.

    The sentence-ending punctuation stays inside its sentence; headers and list numbers are
    left out of every sentence, except a templated report's header that names what its section
    describes ("HEART: Mildly enlarged.", "LINES/TUBES: None."), which stays in the first
    sentence as its subject.
    """
    found: list[Sentence] = []
    start = 0
    section = ""
    for match in _BOUNDARY.finditer(text):
        if match.lastgroup == "stop":
            _append(found, text, start, match.end(), section)
        else:
            _append(found, text, start, match.start(), section)
        start = match.end()
        if match.lastgroup == "header":
            section = " ".join(match.group("header").rstrip(": \t").lower().split())
            if _names_a_topic(section):
                start = match.start()
    _append(found, text, start, len(text), section)
    return tuple(found)


_TOPIC_WORDS = frozenset((
    "lung", "lungs", "heart", "cardiac", "mediastinum", "mediastinal", "cardiomediastinal",
    "hila", "hilar", "pleura", "pleural", "bones", "bone", "osseous", "lines", "line", "tubes",
    "tube", "devices", "device", "support", "airways", "trachea", "diaphragm", "diaphragms",
    "aorta", "vasculature"))


def _names_a_topic(header: str) -> bool:
    """Is the (lower-cased) header made only of anatomy or device words ("heart and
    mediastinum", "lines/tubes"), not a section name or a phrase such as "history of
    pneumonia"?"""
    words = set(re.findall(r"[a-z]+", header)) - {"and"}
    return bool(words) and words <= _TOPIC_WORDS


cached_sentences = lru_cache(maxsize=8192)(sentences)
"""``sentences`` remembered per text, for work that re-reads the same corpus (the optimizer)."""


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence of ``text`` (see ``sentences``)."""
    return [(s.start, s.end) for s in sentences(text)]


def _append(found: list[Sentence], text: str, start: int, end: int, section: str) -> None:
    while start < end and text[start] in " \t\r\n-*\u2022":
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and _ALNUM.search(text, start, end) is not None:
        found.append(Sentence(start, end, section))
