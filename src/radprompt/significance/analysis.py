"""A report read sentence by sentence: which findings each sentence states, and in which section.

The rule engine reads each sentence on its own (which sentence says what); a report's state for
a label is the strongest state any of its sentences gives it, as the engine itself aggregates
mentions (present > uncertain > absent), so a perturbation can change exactly the
sentences that carry one finding, and the trained metric can read the side, severity,
measurements and device position that go with each finding.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> labels = load_labelset("chestxray21")
    >>> reader = ReportReader(labelset=labels)
    >>> analysis = reader.read("FINDINGS: Small left effusion. No pneumothorax.")
    >>> [s.text for s in analysis.positive_sentences("pleural_effusion")]
    ['Small left effusion.']
    >>> analysis.state("pneumothorax").value
    'absent'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from radprompt.extractors.rules import RulesExtractor
from radprompt.extractors.segment import sentences as split_sentences
from radprompt.findings import PRECEDENCE, Finding, Findings, State, derive_labels
from radprompt.labelset import LabelSet
from radprompt.reports import Report

__all__ = ["ReportAnalysis", "ReportReader", "ReportSentence"]

_POSITIVE = (State.PRESENT, State.UNCERTAIN)
_CACHE_SIZE = 8192
_RANK = {state: rank for rank, state in enumerate(PRECEDENCE)}


@dataclass(frozen=True)
class ReportSentence:
    """One sentence: its offsets in the report, its text, and the states it alone gives."""

    start: int
    end: int
    text: str
    in_body: bool
    """Whether the sentence states findings (it is not under a header the labelset ignores,
    such as INDICATION or COMPARISON)."""
    states: Mapping[str, State]
    section: str = ""
    """The lower-cased header the sentence falls under ("findings"), "" before any header."""

    def positive(self, label_id: str) -> bool:
        return self.states.get(label_id) in _POSITIVE


@dataclass(frozen=True)
class ReportAnalysis:
    text: str
    findings: Findings
    sentences: tuple[ReportSentence, ...]
    extracted_labels: tuple[str, ...]
    """The labels the engine extracts (derived labels such as No Finding are left out)."""

    def state(self, label_id: str) -> State:
        return self.findings.state(label_id)

    def is_positive(self, label_id: str) -> bool:
        return self.findings.state(label_id) in _POSITIVE

    def body_sentences(self) -> list[ReportSentence]:
        return [sentence for sentence in self.sentences if sentence.in_body]

    def positive_sentences(self, label_id: str) -> list[ReportSentence]:
        return [s for s in self.sentences if s.in_body and s.positive(label_id)]

    def sentences_with(self, label_id: str, state: State) -> list[ReportSentence]:
        return [s for s in self.sentences if s.in_body and s.states.get(label_id) is state]

    def positive_labels(self) -> list[str]:
        return [label_id for label_id in self.extracted_labels if self.is_positive(label_id)]


class ReportReader:
    """Reads reports with the rule engine; remembers the last few thousand texts it read."""

    def __init__(self, *, labelset: LabelSet) -> None:
        self.labelset = labelset
        self._engine = RulesExtractor(labelset=labelset)
        self._extracted = tuple(label.id for label in labelset.labels if label.derived is None)
        self._ignored = frozenset(section.lower() for section in labelset.ignore_sections)
        self._cache: dict[str, ReportAnalysis] = {}
        self._sentences: dict[str, dict[str, State]] = {}

    def read(self, text: str) -> ReportAnalysis:
        cached = self._cache.get(text)
        if cached is None:
            if len(self._cache) >= _CACHE_SIZE:
                self._cache.clear()
            cached = self._cache[text] = self._read(text)
        return cached

    def _sentence_states(self, text: str) -> dict[str, State]:
        cached = self._sentences.get(text)
        if cached is None:
            if len(self._sentences) >= 8 * _CACHE_SIZE:
                self._sentences.clear()
            findings = self._engine.extract_report(Report(id="sentence", text=text))
            cached = self._sentences[text] = {
                label_id: findings.state(label_id) for label_id in self._extracted
                if findings.state(label_id) is not State.NOT_MENTIONED}
        return cached

    def _read(self, text: str) -> ReportAnalysis:
        sentences = []
        best: dict[str, State] = {}
        for start, end, section in split_sentences(text):
            if section in self._ignored:
                sentences.append(ReportSentence(start, end, text[start:end], False, {}, section))
                continue
            states = self._sentence_states(text[start:end])
            sentences.append(ReportSentence(start, end, text[start:end], True, states, section))
            for label_id, state in states.items():
                if label_id not in best or _RANK[state] < _RANK[best[label_id]]:
                    best[label_id] = state
        # The rule engine's own aggregation: the strongest state any mention gives.
        findings = derive_labels(Findings(report_id="report", states={
            label_id: Finding(state) for label_id, state in best.items()}), self.labelset)
        return ReportAnalysis(text=text, findings=findings, sentences=tuple(sentences),
                              extracted_labels=self._extracted)
