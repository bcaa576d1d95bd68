"""Lay a composed report out as text: header lines, FINDINGS and IMPRESSION sections."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

import report_banks as rb
from compose import AnchorCycle, compose_findings, findings_sentences, impression_sentences
from sentences import Sentence, report_labels

MAX_SENTENCES = 12
MIN_SENTENCES = 2
SHARE_NORMAL = 0.26
SHARE_ICU = 0.18


# ---------------------------------------------------------------------------------------------
# Whole reports: header, FINDINGS, IMPRESSION
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Report:
    """A finished report: its text and the sentences that carry its labels."""

    text: str
    sentences: tuple[Sentence, ...]
    closing: str | None = None

    def labels(self) -> dict[str, str]:
        return report_labels(self.sentences)

    def n_sentences(self) -> int:
        return _count_sentences(self.sentences) + (self.closing is not None)


def _count_sentences(sentences: Sequence[Sentence]) -> int:
    return sum(1 + len(re.findall(r"\.\s+[A-Z]", s.text)) for s in sentences)


def _header_lines(rng: random.Random, kind: str, style: str) -> tuple[list[str], bool]:
    """Exam/indication/technique/comparison lines and whether a prior study exists."""
    view = "portable" if kind == "icu" else "pa_lat"

    def key(upper: str) -> str:
        return upper.title() if style == "title" else upper

    lines: list[str] = []
    if rng.random() < 0.55:
        lines.append(f"{key(rng.choice(('EXAMINATION', 'EXAM')))}: {rng.choice(rb.EXAMS[view])}")
    if rng.random() < 0.75:
        group = "icu" if kind == "icu" else ("normal" if kind == "normal" else "abnormal")
        header = rng.choice(("INDICATION", "HISTORY", "CLINICAL HISTORY", "REASON FOR EXAM"))
        lines.append(f"{key(header)}: {rng.choice(rb.INDICATIONS[group])}")
    if rng.random() < 0.15:
        lines.append(f"{key('TECHNIQUE')}: {rng.choice(rb.TECHNIQUES[view])}")
    roll = rng.random()
    if roll < 0.2 and kind != "icu":
        lines.append(f"{key('COMPARISON')}: {rng.choice(rb.COMPARISONS_NONE)}")
        return lines, False
    if roll < 0.8 or kind == "icu":
        lines.append(f"{key('COMPARISON')}: {rng.choice(rb.COMPARISONS)}")
        return lines, True
    return lines, rng.random() < 0.5


def _impression_body(
    rng: random.Random, items: Sequence[str], *, numbering: bool
) -> tuple[str, bool]:
    """Numbered on separate lines, numbered inline, or a paragraph; and whether on lines."""
    if not numbering:
        return " ".join(items), False
    if len(items) > 1 and rng.random() < 0.55:
        numbered = [f"{n}. {item}" for n, item in enumerate(items, start=1)]
        if rng.random() < 0.6:
            return "\n".join(numbered), True
        return " ".join(numbered), False
    if len(items) == 1 and rng.random() < 0.2:
        return f"1. {items[0]}", False
    return " ".join(items), False


def build_report(rng: random.Random, anchors: AnchorCycle) -> Report:
    """Compose one report, drawing again until it has a natural length."""
    while True:
        report = _draw_report(rng, anchors)
        if MIN_SENTENCES <= report.n_sentences() <= MAX_SENTENCES:
            return report


def _draw_report(rng: random.Random, anchors: AnchorCycle) -> Report:
    roll = rng.random()
    kind = "normal" if roll < SHARE_NORMAL else "outpatient"
    if SHARE_NORMAL <= roll < SHARE_NORMAL + SHARE_ICU:
        kind = "icu"
    style = rng.choice(("block", "block", "inline", "inline", "title"))
    header, temporal_ok = _header_lines(rng, kind, style)
    draft = compose_findings(rng, kind, temporal_ok=temporal_ok, anchors=anchors)
    findings = findings_sentences(rng, draft)
    restated, extras = impression_sentences(rng, draft)
    impression = restated + extras
    impression_key = "IMPRESSION"
    layout = rng.random()
    if layout < (0.15 if kind == "icu" else 0.06):
        # one combined section, as in short portable reports
        findings, impression = [], _dedupe(findings + extras)
        impression_key = rng.choice(
            ("IMPRESSION", "FINDINGS/IMPRESSION", "FINDINGS AND IMPRESSION")
        )
    elif layout > 0.95:
        impression = []
    closing = rng.choice(rb.CLOSINGS) if impression and rng.random() < 0.07 else None
    text = _layout(rng, style, header, findings, impression, impression_key, closing)
    return Report(text=text, sentences=(*findings, *impression), closing=closing)


def _layout(
    rng: random.Random,
    style: str,
    header: Sequence[str],
    findings: Sequence[Sentence],
    impression: Sequence[Sentence],
    impression_key: str,
    closing: str | None,
) -> str:
    body = " ".join(s.text for s in findings)
    combined = not findings  # one FINDINGS/IMPRESSION paragraph of full sentences
    imp_body, on_lines = _impression_body(rng, [s.text for s in impression], numbering=not combined)
    if closing:
        imp_body = f"{imp_body}\n{closing}" if on_lines else f"{imp_body} {closing}"
    parts = ["\n".join(header)] if header else []
    if style == "block":
        if findings:
            parts.append(f"FINDINGS:\n{body}")
        if impression:
            parts.append(f"{impression_key}:\n{imp_body}")
        return "\n\n".join(parts)
    findings_key = "Findings" if style == "title" else "FINDINGS"
    if style == "title":
        impression_key = impression_key.title()
    if findings:
        parts.append(f"{findings_key}: {body}")
    if impression:
        parts.append(f"{impression_key}:{chr(10) if on_lines else ' '}{imp_body}")
    return "\n".join(parts)


def _dedupe(sentences: Sequence[Sentence]) -> list[Sentence]:
    seen: set[str] = set()
    result = []
    for sentence in sentences:
        if sentence.text not in seen:
            seen.add(sentence.text)
            result.append(sentence)
    return result
