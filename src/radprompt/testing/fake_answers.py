"""A fake model that answers like the rule engine, and synthetic reports to feed it.

``RulesAnswerer`` reads the labels a prompt asks about (their ids appear in the system
message, as the answer's JSON keys must) and answers for the report in the first user message
with the rule engine's states, evidence and attributes, in the JSON shape
``prompts/extract_*.j2`` ask for.
It knows nothing about the templates beyond that, so edited templates keep working.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.testing import RulesAnswerer, synthetic_reports
    >>> labels = load_labelset("chestxray21")
    >>> reports = synthetic_reports(labelset=labels, count=3, seed=1)
    >>> answer = RulesAnswerer(labelset=labels)(
    ...     [{"role": "system", "content": "pneumothorax"},
    ...      {"role": "user", "content": "No pneumothorax."}])
    >>> answer
    '{"pneumothorax": {"state": "absent", "evidence": "No pneumothorax."}}'
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable
from typing import Any

from radprompt.findings import Finding, Findings, State
from radprompt.labelset import LabelSet
from radprompt.reports import Report

__all__ = ["COMPACT_MARKER", "RulesAnswerer", "answer_entry", "answer_json",
           "synthetic_reports"]

COMPACT_MARKER = "Leave out every finding the report does not mention."
"""A system prompt holding this sentence (``prompts/extract_mentioned.j2``) asks for the
compact answer: only mentioned labels, state and evidence."""


def answer_entry(finding: Finding, evidence: str | None) -> dict[str, Any]:
    """One label's value in the JSON answer the templates ask for; a present or uncertain
    finding also carries the attributes the rule engine read (null when it read none)."""
    entry: dict[str, Any] = {"state": finding.state.value, "evidence": evidence}
    if finding.state in (State.PRESENT, State.UNCERTAIN):
        entry["attributes"] = finding.attributes.to_json() or None
    return entry


def answer_json(findings: Findings, asked: Iterable[str], *, system: str) -> str:
    """The JSON answer for the ``asked`` labels as the prompt in ``system`` asks for it: an
    entry per label, or (``COMPACT_MARKER``) only the mentioned ones without attributes."""
    compact = COMPACT_MARKER in system
    answer: dict[str, dict[str, Any]] = {}
    for label_id in asked:
        finding = findings.finding(label_id)
        evidence = finding.evidence.text if finding.evidence is not None else None
        if finding.state is State.NOT_MENTIONED:
            if compact:
                continue
            evidence = None
        answer[label_id] = ({"state": finding.state.value, "evidence": evidence} if compact
                            else answer_entry(finding, evidence))
    return json.dumps(answer)


class RulesAnswerer:
    """Answer chat requests with the rule engine's findings (picklable; built lazily)."""

    def __init__(self, *, labelset: LabelSet) -> None:
        self.labelset = labelset
        self._engine: Any = None
        self._patterns: dict[str, re.Pattern[str]] = {}
        self._asked: dict[str, list[str]] = {}
        self._known: dict[tuple[str, str], str] = {}

    def prepare(self, conversations: Iterable[list[dict[str, Any]]]) -> None:
        """Work out the answers to ``conversations`` now, so answering them later is a lookup
        (a benchmark's fake server then spends no CPU beside the client it times)."""
        for messages in conversations:
            self._known[_key(messages)] = self._answer(messages)

    def __getstate__(self) -> dict[str, Any]:
        return {"labelset": self.labelset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(labelset=state["labelset"])  # type: ignore[misc]

    def asked_labels(self, instructions: str) -> list[str]:
        """Ids of the (non-derived) labels whose id occurs as a word in ``instructions``."""
        if instructions in self._asked:
            return self._asked[instructions]
        if len(self._asked) > 1024:
            self._asked.clear()
        asked = self._asked[instructions] = []
        for label in self.labelset.labels:
            if label.derived is not None:
                continue
            pattern = self._patterns.get(label.id)
            if pattern is None:
                pattern = self._patterns[label.id] = re.compile(rf"(?<![\w]){label.id}(?![\w])")
            if pattern.search(instructions):
                asked.append(label.id)
        return asked

    def __call__(self, messages: list[dict[str, Any]]) -> str:
        if self._known and (known := self._known.get(_key(messages))) is not None:
            return known
        return self._answer(messages)

    def _answer(self, messages: list[dict[str, Any]]) -> str:
        from radprompt.extractors.rules import RulesExtractor

        if self._engine is None:
            self._engine = RulesExtractor(labelset=self.labelset)
        system, report = _key(messages)
        findings = self._engine.extract_report(Report(id="fake", text=report))
        return answer_json(findings, self.asked_labels(system), system=system)


def _key(messages: list[dict[str, Any]]) -> tuple[str, str]:
    """(the system messages, the first user message): what the answer depends on."""
    system = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "system")
    report = next((str(m.get("content", "")) for m in messages if m.get("role") == "user"), "")
    return system, report


_PRESENT_FRAMES = ("There is {}.", "{} is seen.", "Findings consistent with {}.",
                   "Small {}.", "Interval increase in {}.")
_FILLERS = ("The heart size is within normal limits.", "Lungs are otherwise clear.",
            "Osseous structures are intact.", "Comparison is made to the prior study.",
            "Portable AP view of the chest.", "The mediastinal contours are unchanged.")


def synthetic_reports(*, labelset: LabelSet, count: int, seed: int = 0) -> list[Report]:
    """``count`` distinct short reports written from the labelset's phrases and cues.

    Each mentions one to four labels, present, negated (a ``negation_pre`` cue) or uncertain (an
    ``uncertainty_pre`` cue), between neutral filler sentences. For benchmarks and smoke tests,
    not for measuring accuracy.
    """
    rng = random.Random(seed)
    labels = [label for label in labelset.labels if label.derived is None and label.phrases]
    negations = [cue for cue in labelset.cues.negation_pre if len(cue) > 2] or ["no"]
    doubts = list(labelset.cues.uncertainty_pre) or ["possible"]
    reports = []
    for number in range(count):
        sentences = [f"Study {number + 1}.", rng.choice(_FILLERS)]
        for label in rng.sample(labels, k=min(len(labels), rng.randint(1, 4))):
            phrase = rng.choice(label.phrases)
            roll = rng.random()
            if roll < 0.5:
                sentence = rng.choice(_PRESENT_FRAMES).format(phrase)
            elif roll < 0.8:
                sentence = f"{rng.choice(negations)} {phrase}."
            else:
                sentence = f"{rng.choice(doubts)} {phrase}."
            sentences.append(sentence[0].upper() + sentence[1:])
        sentences.append(rng.choice(_FILLERS))
        reports.append(Report(id=f"synthetic-{number + 1:05d}", text=" ".join(sentences)))
    return reports
