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

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from radprompt.extractors._cjk_reader import CJKReader
from radprompt.extractors._context import CompiledCues, SentenceContext, mention_state
from radprompt.extractors._phrases import compile_phrases
from radprompt.extractors.attributes import extract_attributes
from radprompt.extractors.base import ExtractionResult, Extractor, ProgressCallback
from radprompt.extractors.segment import cached_sentences, sentences
from radprompt.findings import PRECEDENCE, Evidence, Finding, Findings, State, derive_labels
from radprompt.labelset import Cues, Hedges, Label, LabelSet
from radprompt.languages import DEFAULT_LANGUAGE, is_cjk_language, report_language
from radprompt.reports import Report

__all__ = ["RulesExtractor", "compile_phrases"]

_RANK = {state: rank for rank, state in enumerate(PRECEDENCE)}


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
        reading = _Reading(self, report.text)
        states: dict[str, Finding] = {}
        for compiled in self._labels:
            best = reading.label_finding(compiled)
            if best is not None:
                states[compiled.label.id] = best
        findings = derive_labels(Findings(report_id=report.id, states=states), self.labelset)
        cancelled = [label_id for label_id, pattern in self._other_findings.items()
                     if findings.state(label_id) is State.PRESENT
                     and reading.mentions_other_finding(pattern)]
        if not cancelled:
            return findings
        return Findings(report_id=report.id, binary_only=findings.binary_only, states={
            **findings.states, **{label_id: Finding(State.ABSENT) for label_id in cancelled}})


class _Reading:
    """One report being read: its sentences and their cue matches, shared by every label."""

    __slots__ = ("_engine", "_finding_spans", "_normal_spans", "_sentences", "spans", "starts",
                 "text")

    def __init__(self, engine: RulesExtractor, text: str) -> None:
        self._engine = engine
        self.text = text
        self.spans = [(s.start, s.end) for s in engine._split(text)
                      if not engine._ignored(s.section)]
        self.starts = [start for start, _ in self.spans]
        self._sentences: dict[int, SentenceContext] = {}
        self._normal_spans: list[tuple[int, int]] | None = None
        self._finding_spans: list[tuple[int, int]] | None = None

    def _sentence_of(self, m_start: int, m_end: int) -> SentenceContext | None:
        index = bisect.bisect_right(self.starts, m_start) - 1
        if index < 0 or m_end > self.spans[index][1]:
            return None  # in a header, an ignored section, or across sentences
        sentence = self._sentences.get(index)
        if sentence is None:
            sentence = self._sentences[index] = SentenceContext(self.text, *self.spans[index])
        return sentence

    def _mentions(self, mentions: re.Pattern[str]) -> Iterator[re.Match[str]]:
        """A label's mentions, looked for only where some label's phrase matched.

        One pass of every label's phrases together finds where findings are named; each label's
        own pattern then reads only those stretches, not the whole report.
        """
        if self._finding_spans is None:
            self._finding_spans = _spans(self._engine._findings, self.text)
        for f_start, f_end in self._finding_spans:
            yield from mentions.finditer(self.text, f_start, f_end)

    def label_finding(self, compiled: _CompiledLabel) -> Finding | None:
        """The label's strongest mention (present > uncertain > absent), with its evidence."""
        text = self.text
        best: tuple[State, SentenceContext, int, int] | None = None
        for match in self._mentions(compiled.mentions):
            m_start, m_end = match.span()
            sentence = self._sentence_of(m_start, m_end)
            if sentence is None:
                continue
            if compiled.exclusions is not None and _inside_any(
                    compiled.exclusions, text, sentence, m_start, m_end):
                continue
            base = State.PRESENT
            if compiled.uncertain is not None and compiled.uncertain.fullmatch(
                    text, m_start, m_end):
                base = State.UNCERTAIN
            state = mention_state(sentence, m_start, m_end, cues=compiled.cues,
                                  hedges=compiled.hedges, findings=self._engine._findings,
                                  base=base)
            if best is None or _RANK[state] < _RANK[best[0]]:
                best = (state, sentence, m_start, m_end)
                if state is State.PRESENT:
                    break
        if best is None and compiled.normals is not None:
            best = self._normal_statement(compiled.normals)
        if best is None:
            return None
        state, sentence, m_start, m_end = best
        sentence_text = text[sentence.start:sentence.end]
        evidence = Evidence(sentence.start, sentence.end, sentence_text)
        if state is State.ABSENT:
            return Finding(state, evidence)
        return Finding(state, evidence, extract_attributes(
            sentence=sentence_text, mention_start=m_start - sentence.start,
            mention_end=m_end - sentence.start))

    def _normal_statement(
        self, normals: re.Pattern[str]
    ) -> tuple[State, SentenceContext, int, int] | None:
        """A normal statement ("heart size is normal") in a sentence read: absent.

        Every label's normal statements are found in one pass over the report; a label's own
        pattern then only looks inside those matches.
        """
        if self._normal_spans is None:
            self._normal_spans = _spans(self._engine._normals, self.text)
        for n_start, n_end in self._normal_spans:
            match = normals.search(self.text, n_start, n_end)
            if match is None:
                continue
            sentence = self._sentence_of(*match.span())
            if sentence is not None:
                return State.ABSENT, sentence, *match.span()
        return None

    def mentions_other_finding(self, pattern: re.Pattern[str]) -> bool:
        """Does a finding outside the taxonomy stand in the report, not negated?"""
        for match in pattern.finditer(self.text):
            sentence = self._sentence_of(*match.span())
            if sentence is not None and mention_state(
                    sentence, *match.span(), cues=self._engine._cues,
                    hedges=self._engine.labelset.hedges) is not State.ABSENT:
                return True
        return False


def _spans(pattern: re.Pattern[str] | None, text: str) -> list[tuple[int, int]]:
    return [] if pattern is None else [m.span() for m in pattern.finditer(text)]


def _inside_any(pattern: re.Pattern[str], text: str, sentence: SentenceContext, start: int,
                end: int) -> bool:
    """Does a match of ``pattern`` in the sentence contain ``[start, end)`` (an exclusion)?"""
    return any(match.start() <= start and end <= match.end()
               for match in pattern.finditer(text, sentence.start, sentence.end))
