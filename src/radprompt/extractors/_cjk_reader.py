"""The rule engine's reader for reports in a language written without spaces (Chinese).

``RulesExtractor`` hands a report to this reader when the report's language (declared in a
``language`` field, else detected) is CJK and the labelset has words for it
(``LabelSet.languages``). It reads the labelset *in that language* (``LabelSet.in_language``)
with the rules of ``_cjk.py``; the findings have the same shape as the English reader's
(state, evidence sentence, and the attributes of ``_cjk_attributes.py``).

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Report
    >>> reader = CJKReader(labelset=load_labelset("chestxray21").in_language("zh"))
    >>> reader.extract_report(Report("r1", "未见气胸，左侧少量胸腔积液。")).state("pneumothorax")
    <State.ABSENT: 'absent'>
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from radprompt.extractors._cjk import CJKCues, cjk_mention_state, cjk_sentences, compile_cjk_phrases
from radprompt.extractors._cjk_attributes import chinese_attributes
from radprompt.findings import PRECEDENCE, Evidence, Finding, Findings, State, derive_labels
from radprompt.labelset import Hedges, Label, LabelSet
from radprompt.languages import simplified
from radprompt.reports import Report

__all__ = ["CJKReader"]

_RANK = {state: rank for rank, state in enumerate(PRECEDENCE)}
_NOT_NORMAL = re.compile(r"[不欠未非](?:清晰|清楚|正常|锐利|光整|光滑)$")
"""A normal statement's last word denied ("肋膈角欠锐利", "心影大小不正常") states no normal."""
_Cues = list[tuple[int, int, frozenset[str]]]


@dataclass(frozen=True)
class _CompiledLabel:
    label: Label
    mentions: re.Pattern[str]
    literal: frozenset[str]
    exclusions: re.Pattern[str] | None
    uncertain: re.Pattern[str] | None
    normals: re.Pattern[str] | None
    cues: CJKCues
    hedges: Hedges


class CJKReader:
    """Reads reports of one CJK language with a labelset already put in that language."""

    def __init__(self, *, labelset: LabelSet) -> None:
        self.labelset = labelset
        shared = CJKCues.build(labelset.cues)
        self._labels: list[_CompiledLabel] = []
        for label in labelset.labels:
            mentions = compile_cjk_phrases(label.mention_phrases)
            if label.derived is not None or mentions is None:
                continue
            self._labels.append(_CompiledLabel(
                label=label, mentions=mentions,
                literal=frozenset(p.lower() for p in label.mention_phrases if "*" not in p),
                exclusions=compile_cjk_phrases(label.exclusions),
                uncertain=compile_cjk_phrases(label.uncertain_phrases),
                normals=compile_cjk_phrases(label.normal_phrases),
                cues=shared if not label.cues.model_dump(exclude_defaults=True)
                else CJKCues.build(labelset.cues_for(label)),
                hedges=labelset.hedges_for(label)))
        self._ignored = frozenset(s.lower() for s in labelset.ignore_sections)

    def _read(self, section: str) -> bool:
        return not (section in self._ignored or any(
            section.endswith(name) for name in self._ignored))

    def extract_report(self, report: Report) -> Findings:
        text = simplified(report.text)  # traditional characters read as simplified, offsets kept
        spans = [(s.start, s.end) for s in cjk_sentences(text) if self._read(s.section)]
        reading = _Reading(text, spans, original=report.text)
        states: dict[str, Finding] = {}
        for compiled in self._labels:
            found = reading.label_finding(compiled)
            if found is not None:
                states[compiled.label.id] = found
        return derive_labels(Findings(report_id=report.id, states=states), self.labelset)


class _Reading:
    """One report being read: its sentences and each sentence's cues, found once per cue set."""

    def __init__(self, text: str, spans: list[tuple[int, int]], *, original: str) -> None:
        self.text = text
        self.original = original
        self.spans = spans
        self.starts = [start for start, _ in spans]
        self._cues: dict[tuple[int, int], _Cues] = {}

    def sentence_of(self, start: int, end: int) -> tuple[int, int] | None:
        index = bisect.bisect_right(self.starts, start) - 1
        if index < 0 or end > self.spans[index][1]:
            return None
        return self.spans[index]

    def cues_in(self, cues: CJKCues, sentence: tuple[int, int]) -> _Cues:
        key = (id(cues), sentence[0])
        found = self._cues.get(key)
        if found is None:
            found = self._cues[key] = cues.find(self.text, *sentence)
        return found

    def label_finding(self, compiled: _CompiledLabel) -> Finding | None:
        text = self.text
        best: tuple[State, tuple[int, int], int, int] | None = None
        for match in compiled.mentions.finditer(text):
            start, end = match.span()
            sentence = self.sentence_of(start, end)
            if sentence is None or (compiled.exclusions is not None and any(
                    e.start() <= start and end <= e.end()
                    for e in compiled.exclusions.finditer(text, *sentence))):
                continue
            base = State.PRESENT
            if compiled.uncertain is not None and compiled.uncertain.fullmatch(text, start, end):
                base = State.UNCERTAIN
            state = cjk_mention_state(
                text, sentence, start, end, cues=compiled.cues,
                found=self.cues_in(compiled.cues, sentence), hedges=compiled.hedges, base=base,
                gap=match.group().lower() not in compiled.literal)
            if best is None or _RANK[state] < _RANK[best[0]]:
                best = (state, sentence, start, end)
                if state is State.PRESENT:
                    break
        if best is None and compiled.normals is not None:
            for match in compiled.normals.finditer(text):
                sentence = self.sentence_of(*match.span())
                if sentence is not None and not _NOT_NORMAL.search(match.group()):
                    best = (State.ABSENT, sentence, *match.span())
                    break
        if best is None:
            return None
        state, (s_start, s_end), start, end = best
        evidence = Evidence(s_start, s_end, self.original[s_start:s_end])
        if state is State.ABSENT:
            return Finding(state, evidence)
        return Finding(state, evidence, chinese_attributes(
            text[s_start:s_end], start - s_start, end - s_start))
