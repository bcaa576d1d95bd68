"""A fast rule engine compiled from a labelset: mentions, negation and uncertainty with scope.

For each label the engine finds its mention phrases (word boundaries, case-insensitive, an
optional plural), drops mentions inside one of the label's exclusions, and reads each mention's
state from the cues of its sentence (the reading rules are in ``_context.py``: scope, hedge
strength, lists, "versus", bare differentials). A label's normal statements ("heart size is
normal") make it absent; a phrase may carry its own state ("vascular congestion" is uncertain
Edema for CheXpert). Across mentions of one report, present > uncertain > absent (CheXpert's
aggregation). Derived labels (No Finding) are filled in last, and made negative by a finding
outside the taxonomy that the derived label lists. Sentences under headers the labelset ignores
(INDICATION, HISTORY, COMPARISON, ...) state the question, not the findings, and are skipped.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Report
    >>> engine = RulesExtractor(labelset=load_labelset("chestxray21"))
    >>> engine.extract_report(Report("r1", "No pneumothorax, but small effusion.")).state(
    ...     "pneumothorax")
    <State.ABSENT: 'absent'>
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radprompt.extractors._context import CompiledCues, SentenceContext, mention_state
from radprompt.extractors._phrases import compile_phrases
from radprompt.extractors.attributes import extract_attributes
from radprompt.extractors.base import ExtractionResult, Extractor, ProgressCallback
from radprompt.extractors.segment import cached_sentences, sentences
from radprompt.findings import (
    PRECEDENCE,
    Attributes,
    Evidence,
    Finding,
    Findings,
    State,
)
from radprompt.labelset import Cues, Hedges, Label, LabelSet, UncertaintyPolicy
from radprompt.languages import DEFAULT_LANGUAGE, is_cjk_language, report_language
from radprompt.reports import Report

if TYPE_CHECKING:
    from radprompt.extractors._cjk_reader import CJKReader

__all__ = ["RulesExtractor", "compile_phrases"]

_RANK = {state: rank for rank, state in enumerate(PRECEDENCE)}
_PRESENT, _ABSENT = Finding(State.PRESENT), Finding(State.ABSENT)
_POSITIVE = {UncertaintyPolicy.POSITIVE: frozenset((State.PRESENT, State.UNCERTAIN)),
             UncertaintyPolicy.NEGATIVE: frozenset((State.PRESENT,))}
"""The states a label's uncertainty policy counts as positive in the binary view."""
_MEMO_SENTENCES = 200_000
"""Distinct sentences remembered per engine before the memo starts over (bounded memory)."""


@dataclass(frozen=True)
class _CompiledLabel:
    label: Label
    mentions: re.Pattern[str]
    exclusions: re.Pattern[str] | None
    uncertain: re.Pattern[str] | None
    normals: re.Pattern[str] | None
    cues: CompiledCues
    hedges: Hedges


class RulesExtractor(Extractor):
    """The rule engine. Pure Python, no downloads; configured entirely by the labelset.

    ``cache_sentences`` remembers each text's sentence split, for callers that extract the
    same reports many times (the optimizer's search).
    """

    journaled = False
    """No journal: the engine reads a report in about a millisecond, faster than journaling it
    (a killed ``radprompt extract`` simply starts over)."""

    def __init__(self, *, labelset: LabelSet, cache_sentences: bool = False) -> None:
        self.labelset = labelset
        self._split = cached_sentences if cache_sentences else sentences
        shared = CompiledCues.build(labelset.cues)
        compiled: list[_CompiledLabel] = []
        for label in labelset.labels:
            mentions = compile_phrases(label.mention_phrases, plural=True)
            if label.derived is not None or mentions is None:
                continue
            cues = shared if label.cues == Cues() else CompiledCues.build(
                labelset.cues_for(label))
            compiled.append(_CompiledLabel(
                label=label,
                mentions=mentions,
                exclusions=compile_phrases(label.exclusions, plural=True),
                uncertain=compile_phrases(label.uncertain_phrases, plural=True),
                normals=compile_phrases(label.normal_phrases, plural=False),
                cues=cues,
                hedges=labelset.hedges_for(label),
            ))
        self._labels = compiled
        self._cues = shared
        self._findings = compile_phrases(
            (p for label in labelset.labels for p in label.mention_phrases), plural=True)
        self._other_findings = {
            label.id: pattern for label in labelset.labels
            if (pattern := compile_phrases(label.other_findings, plural=True)) is not None}
        self._normals = compile_phrases(
            (p for label in labelset.labels for p in label.normal_phrases), plural=False)
        self._ignored_sections = frozenset(s.lower() for s in labelset.ignore_sections)
        self._section_verdicts: dict[str, bool] = {"": False}
        self._mentions_in: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self._memo: dict[str, _SentenceReading] = {}
        self._report_states: dict[str, dict[str, Finding]] = {}
        self._attributes_of: dict[tuple[str, int, int], Attributes] = {}
        self._derived = [
            (label.id, {other.id: _POSITIVE[other.uncertainty_policy]
                        for other in labelset.labels if other.derived is None
                        and other.id not in label.derived_ignores})
            for label in labelset.labels if label.derived == "no_other_positive"]
        self._normals_in: dict[str, tuple[tuple[int, int, int], ...]] = {}
        self._languages: dict[str, RulesExtractor | CJKReader] = {}

    def _reader_for(self, report: Report) -> RulesExtractor | CJKReader | None:
        """The reader of a report in another language the labelset has words for (else None).

        A CJK language is read by ``CJKReader``; any other by this engine built from the
        labelset in that language (``LabelSet.in_language``).
        """
        if not self.labelset.languages:
            return None
        language = report_language(report.text, report.meta)
        if language == DEFAULT_LANGUAGE or language not in self.labelset.languages:
            return None
        reader = self._languages.get(language)
        if reader is None:
            from radprompt.extractors._cjk_reader import CJKReader  # loaded for such reports only

            words = self.labelset.in_language(language)
            reader = self._languages[language] = (
                CJKReader(labelset=words) if is_cjk_language(language)
                else RulesExtractor(labelset=words))
        return reader

    def _ignored(self, section: str) -> bool:
        """Is this header one the labelset ignores? "FRONTAL REASON FOR EXAM" ends with one."""
        verdict = self._section_verdicts.get(section)
        if verdict is None:
            verdict = self._section_verdicts[section] = section in self._ignored_sections or any(
                section.endswith(" " + name) for name in self._ignored_sections)
        return verdict

    def mentions_in(self, phrase: str) -> tuple[tuple[int, int, int], ...]:
        """(label index, start, end) of each label's mentions inside one matched phrase.

        Reports repeat the same few hundred phrases, so each label's pattern reads a phrase
        once per process, not once per report. A phrase is a whole-word match of every label's
        phrases together, so reading it alone gives what reading it in place would.
        """
        found = self._mentions_in.get(phrase)
        if found is None:
            found = self._mentions_in[phrase] = tuple(
                (index, *match.span()) for index, compiled in enumerate(self._labels)
                for match in compiled.mentions.finditer(phrase))
        return found

    def normals_in(self, phrase: str) -> tuple[tuple[int, int, int], ...]:
        """(label index, start, end) of the first normal statement of each label in a phrase."""
        found = self._normals_in.get(phrase)
        if found is None:
            found = self._normals_in[phrase] = tuple(
                (index, *match.span()) for index, compiled in enumerate(self._labels)
                if compiled.normals is not None
                and (match := compiled.normals.search(phrase)) is not None)
        return found

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
        if (reader := self._reader_for(report)) is not None:
            return reader.extract_report(report)
        states = self._report_states.get(report.text)
        if states is None:
            if len(self._report_states) >= _MEMO_SENTENCES:
                self._report_states.clear()
            states = self._report_states[report.text] = self._states(report.text)
        return Findings(report_id=report.id, states=dict(states))

    def _states(self, text: str) -> dict[str, Finding]:
        """Every label's finding in one English report (remembered per text by the caller:
        corpora repeat whole reports, "normal chest" templates)."""
        best: dict[int, tuple[State, int, int, tuple[int, int] | None]] = {}
        normal_at: dict[int, tuple[int, int]] = {}
        others: set[str] = set()
        memo, verdicts = self._memo, self._section_verdicts  # the memos, looked up inline
        for start, end, section in self._split(text):
            if (ignored := verdicts.get(section)) is None:
                ignored = self._ignored(section)
            if ignored:
                continue
            piece = text[start:end]
            read = memo.get(piece) or self._read(piece)
            for index, state, m_start, m_end in read.mentions:
                current = best.get(index)
                if current is None or _RANK[state] < _RANK[current[0]]:
                    best[index] = (state, start, end, (m_start, m_end))
            for index in read.normals:
                normal_at.setdefault(index, (start, end))
            if read.others:
                others |= read.others
        states: dict[str, Finding] = {}
        for index in sorted(best.keys() | normal_at.keys()):
            state, start, end, mention = best.get(index) or (
                State.ABSENT, *normal_at[index], None)
            evidence = Evidence(start, end, text[start:end])
            states[self._labels[index].label.id] = (
                Finding(state, evidence) if mention is None or state is State.ABSENT
                else Finding(state, evidence, self._attributes(evidence.text, *mention)))
        # derived labels (No Finding), as ``findings.derive_labels`` fills them, then cancelled
        # by a finding outside the taxonomy (a report has a few findings: loop over those)
        derived = {label_id: _ABSENT if any(
            (positive := counted.get(other)) is not None and finding.state in positive
            for other, finding in states.items()) else _PRESENT
            for label_id, counted in self._derived}
        states.update(derived)
        for label_id in others:
            if derived.get(label_id) is _PRESENT:
                states[label_id] = _ABSENT
        return states

    def _attributes(self, sentence: str, start: int, end: int) -> Attributes:
        """The attributes of the finding mentioned at [start, end) of a sentence, remembered
        (read only for the mention a report's finding ends up with)."""
        key = (sentence, start, end)
        found = self._attributes_of.get(key)
        if found is None:
            if len(self._attributes_of) >= _MEMO_SENTENCES:
                self._attributes_of.clear()
            found = self._attributes_of[key] = extract_attributes(
                sentence=sentence, mention_start=start, mention_end=end)
        return found

    def _read(self, sentence: str) -> _SentenceReading:
        """What one sentence says, remembered: reports repeat their sentences ("The lungs are
        clear."), and a sentence is read the same wherever it stands."""
        read = self._memo.get(sentence)
        if read is None:
            if len(self._memo) >= _MEMO_SENTENCES:
                self._memo.clear()
            read = self._memo[sentence] = _read_sentence(self, sentence)
        return read


@dataclass(frozen=True, slots=True)
class _SentenceReading:
    mentions: tuple[tuple[int, State, int, int], ...]
    """Per label (by index) with a mention: its strongest state in the sentence (present >
    uncertain > absent, the first such mention) and that mention's offsets."""
    normals: tuple[int, ...]
    """Labels with a normal statement in the sentence ("heart size is normal")."""
    others: frozenset[str]
    """Derived labels whose ``other_findings`` the sentence names, not negated."""


def _read_sentence(engine: RulesExtractor, text: str) -> _SentenceReading:
    """Read one sentence for every label (the reading rules are in ``_context.py``)."""
    context = SentenceContext(text, 0, len(text))
    mentions: list[tuple[int, State, int, int]] = []
    for index, spans in sorted(_by_label(text, engine._findings, engine.mentions_in).items()):
        compiled = engine._labels[index]
        best: tuple[State, int, int] | None = None
        for m_start, m_end in spans:
            if compiled.exclusions is not None and _inside_any(
                    compiled.exclusions, text, context, m_start, m_end):
                continue
            base = State.PRESENT
            if compiled.uncertain is not None and compiled.uncertain.fullmatch(
                    text, m_start, m_end):
                base = State.UNCERTAIN
            state = mention_state(context, m_start, m_end, cues=compiled.cues,
                                  hedges=compiled.hedges, findings=engine._findings, base=base)
            if best is None or _RANK[state] < _RANK[best[0]]:
                best = (state, m_start, m_end)
                if state is State.PRESENT:
                    break
        if best is not None:
            mentions.append((index, *best))
    normals = tuple(sorted(_by_label(text, engine._normals, engine.normals_in)))
    others = frozenset(
        label_id for label_id, pattern in engine._other_findings.items()
        if any(mention_state(context, *match.span(), cues=engine._cues,
                             hedges=engine.labelset.hedges) is not State.ABSENT
               for match in pattern.finditer(text)))
    return _SentenceReading(tuple(mentions), normals, others)


def _by_label(text: str, pattern: re.Pattern[str] | None,
              read: Callable[[str], tuple[tuple[int, int, int], ...]]
              ) -> dict[int, list[tuple[int, int]]]:
    """Each label's matches (by label index), in text order: one pass of every label's phrases
    together finds where findings are named, and ``read`` says which labels each one names."""
    found: dict[int, list[tuple[int, int]]] = {}
    if pattern is None:
        return found
    for match in pattern.finditer(text):
        offset = match.start()
        for index, start, end in read(match.group()):
            found.setdefault(index, []).append((offset + start, offset + end))
    return found


def _inside_any(pattern: re.Pattern[str], text: str, sentence: SentenceContext, start: int,
                end: int) -> bool:
    """Does a match of ``pattern`` in the sentence contain ``[start, end)`` (an exclusion)?"""
    return any(match.start() <= start and end <= match.end()
               for match in pattern.finditer(text, sentence.start, sentence.end))
