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
    " ": r"[\s\-]+",
    # words and spaces only: a gap never crosses a comma or the end of a sentence
    GAP: rf"[\s\-]+(?:[\w']+[\s\-]+){{0,{GAP_WORDS}}}",
}


def _trie_pattern(phrases: Iterable[str], *, atoms: dict[str, str] | None = None) -> str:
    """One regex alternation for many phrases, factored as a character trie.

    Python's ``re`` tries every branch of a flat alternation at every position; a trie shares
    prefixes, which makes matching hundreds of phrases about a hundred times faster. A space in
    a phrase matches any run of spaces or hyphens ("x ray" matches "x-ray"); a ``*`` between
    words matches up to three words ("heart * enlarged" matches "heart is mildly enlarged").
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
        branches = [atoms.get(char, re.escape(char)) + emit(child)
                    for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        ends_here = "" in node
        if len(branches) == 1 and not ends_here:
            return branches[0]
        return "(?:" + "|".join(branches) + ")" + ("?" if ends_here else "")

    return emit(trie)


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


