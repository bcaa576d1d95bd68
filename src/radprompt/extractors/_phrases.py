"""Phrase lists compiled into one fast, case-insensitive regular expression each."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

__all__ = ["GAP", "GAP_WORDS", "compile_phrases"]

GAP = "\x1f"
"""A `` * `` between two words of a phrase: up to ``GAP_WORDS`` words may stand there."""
GAP_WORDS = 3
_ATOMS = {
    # a colon joins a templated report's header to what it says ("HEART: Mildly enlarged.")
    " ": r"[\s\-:]+",
    # words and spaces only: a gap never crosses a comma or the end of a sentence
    GAP: rf"[\s\-:]+(?:[\w']+[\s\-:]+){{0,{GAP_WORDS}}}",
}


def _trie_pattern(phrases: Iterable[str], *, atoms: dict[str, str] | None = None) -> str:
    """One regex alternation for many phrases, factored as a character trie.

    Python's ``re`` tries every branch of a flat alternation at every position; a trie shares
    prefixes, which makes matching hundreds of phrases about a hundred times faster. A space
    in a phrase matches any run of spaces, hyphens or colons ("x ray" matches "x-ray", "heart
    normal" matches "HEART: Normal"); a ``*`` between words matches up to three words ("heart *
    enlarged" matches "heart is mildly enlarged").
    ``atoms`` replaces what a space and a gap match (scripts without spaces, ``_cjk.py``).
    """
    atoms = _ATOMS if atoms is None else atoms
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in " ".join(phrase.split()).replace(" * ", GAP):
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        # a run of single-child nodes is written out in a loop, not one call per character
        written: list[str] = []
        while len(node) == 1:
            [(char, child)] = node.items()
            if not char:  # the end of a phrase, nothing after it
                return "".join(written)
            written.append(atoms[char] if char in atoms else _escape(char))
            node = child
        branches = [(atoms[char] if char in atoms else _escape(char)) + emit(node[char])
                    for char in sorted(node) if char]
        written.append("(?:" + "|".join(branches) + ")" + ("?" if "" in node else ""))
        return "".join(written)

    return emit(trie)


_escape = lru_cache(maxsize=4096)(re.escape)


def compile_phrases(phrases: Iterable[str], *, plural: bool) -> re.Pattern[str] | None:
    """One case-insensitive pattern for ``phrases`` (longest match wins); ``None`` if empty.

    A phrase matches only as whole words (no word character may touch either end), so the cue
    "no" is not the start of "normal"; with ``plural`` a trailing "s" / "es" is allowed.
    """
    unique = frozenset(" ".join(p.lower().split()) for p in phrases if p.strip())
    return _compile(unique, plural) if unique else None


@lru_cache(maxsize=4096)
def _compile(phrases: frozenset[str], plural: bool) -> re.Pattern[str]:
    suffix = r"(?:e?s)?" if plural else ""
    return re.compile(rf"(?<!\w)(?:{_trie_pattern(phrases)}){suffix}(?!\w)", re.IGNORECASE)


