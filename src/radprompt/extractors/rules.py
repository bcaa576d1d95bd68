"""A fast rule engine compiled from a labelset: mentions, negation and uncertainty with scope.

For each label the engine finds its mention phrases (word boundaries, case-insensitive, an
optional plural), drops mentions inside one of the label's exclusions, and looks for cues in the
same sentence: a ``*_pre`` cue before the mention or a ``*_post`` cue after it, at most
``scope_tokens`` words away, with no termination word ("but", "however") between them.
Pseudo-cues ("no change") cancel the cue they overlap. Uncertainty wins over negation; across
mentions of one report, present > uncertain > absent (CheXpert's aggregation). Derived labels
(No Finding) are filled in last. Sentences under headers the labelset ignores (INDICATION,
HISTORY, COMPARISON, ...) state the question, not the findings, and are skipped.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Report
    >>> engine = RulesExtractor(labelset=load_labelset("chestxray21"))
    >>> engine.extract_report(Report("r1", "No pneumothorax, but small effusion.")).state(
    ...     "pneumothorax")
    <State.ABSENT: 'absent'>
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from radprompt.extractors.base import ExtractionResult, Extractor, ProgressCallback
from radprompt.extractors.segment import cached_sentences, sentences
from radprompt.findings import PRECEDENCE, Evidence, Finding, Findings, State, derive_labels
from radprompt.labelset import Cues, Label, LabelSet
from radprompt.reports import Report

__all__ = ["RulesExtractor", "compile_phrases"]

_WORD = re.compile(r"[\w']+")
_RANK = {state: rank for rank, state in enumerate(PRECEDENCE)}


GAP = "\x1f"
"""A `` * `` between two words of a phrase: up to ``GAP_WORDS`` words may stand there."""
GAP_WORDS = 3
_ATOMS = {
    " ": r"[\s\-]+",
    # words and spaces only: a gap never crosses a comma or the end of a sentence
    GAP: rf"[\s\-]+(?:[\w']+[\s\-]+){{0,{GAP_WORDS}}}",
}


def _trie_pattern(phrases: Iterable[str]) -> str:
    """One regex alternation for many phrases, factored as a character trie.

    Python's ``re`` tries every branch of a flat alternation at every position; a trie shares
    prefixes, which makes matching hundreds of phrases about a hundred times faster. A space in
    a phrase matches any run of spaces or hyphens ("x ray" matches "x-ray"); a ``*`` between
    words matches up to three words ("heart * enlarged" matches "heart is mildly enlarged").
    """
    trie: dict[str, Any] = {}
    for phrase in phrases:
        node = trie
        for char in " ".join(phrase.split()).replace(" * ", GAP):
            node = node.setdefault(char, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [_ATOMS.get(char, re.escape(char)) + emit(child)
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


@dataclass(frozen=True)
class _CompiledCues:
    negation_pre: re.Pattern[str] | None
    negation_post: re.Pattern[str] | None
    uncertainty_pre: re.Pattern[str] | None
    uncertainty_post: re.Pattern[str] | None
    bidirectional: re.Pattern[str] | None
    pseudo: re.Pattern[str] | None
    termination: re.Pattern[str] | None
    scope_tokens: int

    @classmethod
    def build(cls, cues: Cues) -> _CompiledCues:
        return cls(
            negation_pre=compile_phrases(cues.negation_pre, plural=False),
            negation_post=compile_phrases(cues.negation_post, plural=False),
            uncertainty_pre=compile_phrases(cues.uncertainty_pre, plural=False),
            uncertainty_post=compile_phrases(cues.uncertainty_post, plural=False),
            bidirectional=compile_phrases(cues.bidirectional_uncertainty, plural=False),
            pseudo=compile_phrases(cues.pseudo, plural=False),
            termination=compile_phrases(cues.termination, plural=False),
            scope_tokens=cues.scope_tokens,
        )


@dataclass(frozen=True)
class _CompiledLabel:
    label: Label
    mentions: re.Pattern[str]
    exclusions: re.Pattern[str] | None
    cues: _CompiledCues


class _Sentence:
    """One sentence with its cue matches, computed once and only when a mention needs them."""

    __slots__ = ("_cue_cache", "_token_starts", "end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self._token_starts: list[int] | None = None
        self._cue_cache: dict[int, dict[str, list[tuple[int, int]]]] = {}

    def token_index(self, offset: int) -> int:
        if self._token_starts is None:
            words = _WORD.finditer(self.text, self.start, self.end)
            self._token_starts = [m.start() for m in words]
        return bisect.bisect_left(self._token_starts, offset)

    def cue_spans(self, cues: _CompiledCues) -> dict[str, list[tuple[int, int]]]:
        key = id(cues)
        cached = self._cue_cache.get(key)
        if cached is not None:
            return cached
        pseudo = self._find(cues.pseudo)
        pseudo_starts = [p_start for p_start, _ in pseudo]

        def inside_pseudo(span: tuple[int, int]) -> bool:
            # pseudo spans are sorted and disjoint: only the last one starting before the
            # span's end can overlap it
            index = bisect.bisect_left(pseudo_starts, span[1]) - 1
            return index >= 0 and pseudo[index][1] > span[0]

        spans = {
            name: [span for span in self._find(getattr(cues, name)) if not inside_pseudo(span)]
            for name in ("negation_pre", "negation_post", "uncertainty_pre",
                         "uncertainty_post", "bidirectional")
        }
        spans["termination"] = self._find(cues.termination)
        self._cue_cache[key] = spans
        return spans

    def _find(self, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
        if pattern is None:
            return []
        return [m.span() for m in pattern.finditer(self.text, self.start, self.end)]


class RulesExtractor(Extractor):
    """The rule engine. Pure Python, no downloads; configured entirely by the labelset.

    ``cache_sentences`` remembers each text's sentence split, for callers that extract the
    same reports many times (the optimizer's search).
    """

    def __init__(self, *, labelset: LabelSet, cache_sentences: bool = False) -> None:
        self.labelset = labelset
        self._split = cached_sentences if cache_sentences else sentences
        shared = _CompiledCues.build(labelset.cues)
        compiled: list[_CompiledLabel] = []
        for label in labelset.labels:
            mentions = compile_phrases(label.mention_phrases, plural=True)
            if label.derived is not None or mentions is None:
                continue
            cues = shared if label.cues == Cues() else _CompiledCues.build(
                labelset.cues_for(label))
            compiled.append(_CompiledLabel(
                label=label,
                mentions=mentions,
                exclusions=compile_phrases(label.exclusions, plural=True),
                cues=cues,
            ))
        self._labels = compiled
        self._ignored_sections = frozenset(s.lower() for s in labelset.ignore_sections)

    def _ignored(self, section: str) -> bool:
        """Is this header one the labelset ignores? "FRONTAL REASON FOR EXAM" ends with one."""
        if not section:
            return False
        return section in self._ignored_sections or any(
            section.endswith(" " + name) for name in self._ignored_sections)

    def extract(
        self, reports: Sequence[Report], *, progress: ProgressCallback | None = None
    ) -> list[ExtractionResult]:
        results: list[ExtractionResult] = []
        for report in reports:
            results.append(self.extract_report(report))
            if progress is not None:
                progress(1)
        return results

    def extract_report(self, report: Report) -> Findings:
        text = report.text
        spans = [(s.start, s.end) for s in self._split(text) if not self._ignored(s.section)]
        starts = [start for start, _ in spans]
        sentences: dict[int, _Sentence] = {}
        states: dict[str, Finding] = {}
        for compiled in self._labels:
            best: Finding | None = None
            excluded: list[tuple[int, int]] | None = None
            for match in compiled.mentions.finditer(text):
                m_start, m_end = match.span()
                index = bisect.bisect_right(starts, m_start) - 1
                if index < 0 or m_end > spans[index][1]:
                    continue  # in a header, an ignored section, or across sentences
                if excluded is None:
                    excluded = _spans(compiled.exclusions, text)
                if any(s <= m_start and m_end <= e for s, e in excluded):
                    continue
                sentence = sentences.get(index)
                if sentence is None:
                    sentence = sentences[index] = _Sentence(text, *spans[index])
                state = _mention_state(sentence, m_start, m_end, compiled.cues)
                if best is None or _RANK[state] < _RANK[best.state]:
                    s_start, s_end = spans[index]
                    best = Finding(state, Evidence(s_start, s_end, text[s_start:s_end]))
                    if state is State.PRESENT:
                        break
            if best is not None:
                states[compiled.label.id] = best
        return derive_labels(Findings(report_id=report.id, states=states), self.labelset)


def _spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


_BIDIRECTIONAL_SCOPE = 4
"""Words "versus" reaches on either side: "atelectasis versus early pneumonia", not a whole list."""
_NONE = 10**9


def _mention_state(sentence: _Sentence, start: int, end: int, cues: _CompiledCues) -> State:
    """The state of one mention: the nearest cue in scope decides (uncertainty on a tie)."""
    spans = sentence.cue_spans(cues)
    termination_starts = [t_start for t_start, _ in spans["termination"]]
    termination_ends = [t_end for _, t_end in spans["termination"]]

    def terminated(left: int, right: int) -> bool:
        """Is a termination word wholly inside [left, right]?"""
        first = bisect.bisect_left(termination_starts, left)
        return first < len(termination_starts) and bisect.bisect_right(
            termination_ends, right) > first

    def distance(left: int, right: int, scope: int) -> int:
        words = sentence.token_index(right) - sentence.token_index(left)
        return words if words <= scope and not terminated(left, right) else _NONE

    def before(name: str, scope: int) -> int:
        # cue spans are sorted and disjoint: the last one ending before the mention is nearest
        cue_spans = spans[name]
        index = bisect.bisect_right(cue_spans, (start, start)) - 1
        while index >= 0 and cue_spans[index][1] > start:
            index -= 1  # overlaps the mention itself
        return distance(cue_spans[index][1], start, scope) if index >= 0 else _NONE

    def after(name: str, scope: int) -> int:
        cue_spans = spans[name]
        index = bisect.bisect_left(cue_spans, (end, end))
        return distance(end, cue_spans[index][0], scope) if index < len(cue_spans) else _NONE

    def inside(*names: str) -> int:
        """0 when a cue stands inside the mention (in the gap of "heart * enlarged")."""
        for name in names:
            cue_spans = spans[name]
            index = bisect.bisect_left(cue_spans, (start, start))
            if index < len(cue_spans) and cue_spans[index][1] <= end:
                return 0
        return _NONE

    scope = cues.scope_tokens
    uncertainty = min(inside("uncertainty_pre", "uncertainty_post"),
                      before("uncertainty_pre", scope), after("uncertainty_post", scope),
                      before("bidirectional", _BIDIRECTIONAL_SCOPE),
                      after("bidirectional", _BIDIRECTIONAL_SCOPE))
    negation = min(inside("negation_pre", "negation_post"), before("negation_pre", scope),
                   after("negation_post", scope))
    if uncertainty == negation == _NONE:
        return State.PRESENT
    return State.UNCERTAIN if uncertainty <= negation else State.ABSENT
