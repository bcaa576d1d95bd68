"""The labelset's vocabulary found in a spaCy doc, for the peers (see ``_peers_worker.py``).

Phrases are read as radprompt's rule engine reads them (``radprompt.extractors._phrases``):
case-insensitive whole words, a hyphen wherever the phrase has a space, an optional plural
``s`` / ``es`` (mentions, exclusions, uncertain phrases, other findings; not normal statements),
and ``*`` between two words for up to three words (no punctuation) in the report. Matching uses
spaCy's PhraseMatcher on lower-case tokens, every spelling one pattern; a phrase with ``*`` is
matched part by part and the parts joined across the gap. Per label the matches a left-to-right
regular expression would keep are kept (leftmost, then longest).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import product
from typing import Any

__all__ = ["GAP_WORDS", "OTHER", "MentionFinder", "Mentions", "leftmost_longest",
           "phrase_variants"]

GAP_WORDS = 3
"""Words a ``*`` in a phrase stands for (the rule engine's ``GAP_WORDS``)."""
OTHER = "other_findings:"
"""Span label prefix of a derived label's findings outside the taxonomy."""
_WORD = re.compile(r"[\w']+")


def phrase_variants(phrase: str, *, plural: bool) -> list[str]:
    """Every spelling the rule engine accepts for a phrase without a gap: a hyphen for any space
    (each combination up to three spaces; beyond, all or none) and an optional plural.

    >>> phrase_variants("air space", plural=False)
    ['air space', 'air-space']
    """
    words = phrase.lower().split()
    n = len(words) - 1
    joins = list(product(" -", repeat=n)) if n <= 3 else [(" ",) * n, ("-",) * n]
    spellings = ["".join(w + j for w, j in zip(words, (*join, ""), strict=True))
                 for join in joins]
    return [s + end for s in spellings for end in (("", "s", "es") if plural else ("",))]


def leftmost_longest(matches: Iterable[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    """Per label, the matches a regular expression scanning left to right would keep.

    >>> leftmost_longest([("a", 0, 1), ("a", 0, 2), ("a", 1, 3), ("b", 1, 2)])
    [('a', 0, 2), ('b', 1, 2)]
    """
    kept, ends = [], {}
    for label, start, end in sorted(matches, key=lambda m: (m[1], -m[2])):
        if start >= ends.get(label, 0):
            kept.append((label, start, end))
            ends[label] = end
    return kept


def _gap_fits(doc: Any, start: int, end: int) -> bool:
    """Tokens ``[start, end)`` are at most ``GAP_WORDS`` words, hyphens and spaces aside."""
    words = 0
    for token in doc[start:end]:
        if token.is_space or token.text == "-":
            continue
        if not _WORD.fullmatch(token.text):
            return False
        words += 1
    return words <= GAP_WORDS


@dataclass
class Mentions:
    """What the vocabulary finds in one report, before any cue is read."""

    spans: list[Any] = field(default_factory=list)
    bases: list[str] = field(default_factory=list)
    """Each span's state when no cue reaches it: present, or uncertain for uncertain phrases."""
    normals: set[str] = field(default_factory=set)
    """Labels with a normal statement ("heart size is normal") in the report."""


class MentionFinder:
    """Mentions of each non-derived label (less those inside its exclusions; uncertain when
    they are its uncertain phrases), its normal statements, and derived labels'
    ``other_findings`` (span label ``OTHER + label id``), all in one PhraseMatcher pass."""

    def __init__(self, nlp: Any, labelset: Any) -> None:
        from spacy.matcher import PhraseMatcher

        self.tokenizer = nlp.tokenizer
        self.strings = nlp.vocab.strings
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.keys: dict[int, tuple[str, str]] = {}
        self.parts: set[int] = set()
        self.gapped: dict[int, list[tuple[str, str, tuple[int, ...]]]] = defaultdict(list)
        """Phrases with a gap by the key of their first part."""
        for label in labelset.labels:
            if label.derived is not None:
                self.add("mentions", OTHER + label.id, label.other_findings)
                continue
            self.add("mentions", label.id, label.mention_phrases)
            self.add("exclusions", label.id, label.exclusions)
            self.add("uncertain", label.id, label.uncertain_phrases)
            self.add("normals", label.id, label.normal_phrases, plural=False)

    def add(self, kind: str, label: str, phrases: Iterable[str], *, plural: bool = True) -> None:
        plain = []
        for phrase in (" ".join(p.lower().split()) for p in phrases):
            texts = phrase.split(" * ")
            if len(texts) == 1:
                plain.extend(phrase_variants(phrase, plural=plural))
            elif phrase:
                last = len(texts) - 1
                keys = tuple(self._part(t, plural=plural and i == last)
                             for i, t in enumerate(texts))
                self.gapped[keys[0]].append((kind, label, keys))
        if plain:
            key = f"{kind} {label}"
            self.keys[self.strings.add(key)] = (kind, label)
            self.matcher.add(key, list(self.tokenizer.pipe(plain)))

    def _part(self, text: str, *, plural: bool) -> int:
        key = f"part {int(plural)} {text}"
        hashed = self.strings.add(key)
        if hashed not in self.parts:
            self.parts.add(hashed)
            self.matcher.add(key, list(self.tokenizer.pipe(phrase_variants(text, plural=plural))))
        return hashed

    def _joined(self, doc: Any, keys: tuple[int, ...], parts: dict[int, list[tuple[int, int]]],
                gaps: dict[tuple[int, int], bool]) -> list[tuple[int, int]]:
        """Matches of a gapped phrase: its parts in order, each gap ``_gap_fits`` (the answers
        kept in ``gaps``)."""

        def fits(start: int, end: int) -> bool:
            if (start, end) not in gaps:
                gaps[start, end] = _gap_fits(doc, start, end)
            return gaps[start, end]

        joined = []
        for start, end in parts.get(keys[0], ()):
            for key in keys[1:]:
                ends = [e for s, e in parts.get(key, ())
                        if end <= s <= end + 2 * GAP_WORDS + 2 and fits(end, s)]
                if not ends:
                    break
                end = max(ends)
            else:
                joined.append((start, end))
        return joined

    def __call__(self, doc: Any) -> Mentions:
        from spacy.tokens import Span

        found: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for key, start, end in self.matcher(doc):
            if key in self.parts:
                parts[key].append((start, end))
            else:
                kind, label = self.keys[key]
                found[kind].append((label, start, end))
        gaps: dict[tuple[int, int], bool] = {}
        for first in list(parts):
            for kind, label, keys in self.gapped.get(first, ()):
                found[kind].extend((label, s, e)
                                   for s, e in self._joined(doc, keys, parts, gaps))
        excluded: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for label, start, end in leftmost_longest(found["exclusions"]):
            excluded[label].append((start, end))
        uncertain = set(found["uncertain"])
        mentions = Mentions(normals={label for label, _, _ in found["normals"]})
        for label, start, end in leftmost_longest(found["mentions"]):
            if any(s <= start and end <= e for s, e in excluded.get(label, ())):
                continue
            mentions.spans.append(Span(doc, start, end, label=label))
            mentions.bases.append("uncertain" if (label, start, end) in uncertain else "present")
        return mentions
