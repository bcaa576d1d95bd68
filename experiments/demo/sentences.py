"""Rendered sentences, their annotations, report-level labels and checks of the banks.

A report's labels are merged from the annotations of the sentences it contains, never assigned
by hand; ``no_finding`` is derived. ``validate_banks`` refuses malformed or dishonest entries
(a phrase that does not annotate its own label, a restatement that adds a finding, ...).
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

import findings_bank as fb
import phrases as ph
import report_banks as rb

PRECEDENCE = {"present": 3, "uncertain": 2, "absent": 1, "not_mentioned": 0}
POSITIVE = frozenset({"present", "uncertain"})
REGION_EXCLUDE = "!region"
FINDING_LABELS = tuple(label for label in ph.LABEL_IDS if label != ph.DERIVED_LABEL)
TEMPORAL = re.compile(
    r"\b(again|unchanged|stable|interval|resolved|resolution|resolving|persistent|previously|"
    r"improving|worsening|increasing|larger|no change|not significantly changed|removed|"
    r"removal|new|prior|no longer|cleared|extubation|remains|retracted|healing)\b",
    re.IGNORECASE,
)


# ---------------------------------------------------------------------------------------------
# Annotations and templates
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sentence:
    """A rendered sentence (or short run of sentences) and the label states it expresses."""

    text: str
    states: dict[str, str]
    excludes: frozenset[str] = frozenset()


def parse_ann(ann: str) -> tuple[dict[str, str], frozenset[str]]:
    """``"lung_opacity+ pneumonia? !emphysema"`` -> label states and excluded labels."""
    states: dict[str, str] = {}
    excludes: set[str] = set()
    for token in ann.split():
        if token.startswith("!") and (token[1:] in FINDING_LABELS or token == REGION_EXCLUDE):
            excludes.add(token[1:])
            continue
        label, mark = token[:-1], token[-1]
        if label not in FINDING_LABELS or mark not in ph.MARKS:
            raise ValueError(f"bad annotation token {token!r} in {ann!r}")
        if label in states:
            raise ValueError(f"label {label!r} annotated twice in {ann!r}")
        states[label] = ph.MARKS[mark]
    return states, frozenset(excludes)


def sentence_of(phrase: ph.Phrase, slots: dict[str, str] | None = None) -> Sentence:
    """Render a phrase (filling its slots) together with its annotation."""
    states, excludes = parse_ann(phrase.ann)
    return Sentence(render(phrase.text, slots or {}), states, excludes)


def slots_of(template: str) -> frozenset[str]:
    """Names of the ``{slots}`` a template uses."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def slot_family(slots: Iterable[str]) -> frozenset[str]:
    """Slots with every lateral slot folded into ``"lat"`` (they are filled together)."""
    return frozenset("lat" if slot in ph.LATERAL_SLOTS else slot for slot in slots)


def allows_bilateral(slots: frozenset[str]) -> bool:
    """Whether a template reads correctly with ``side == "bilateral"``."""
    return not slots & ph.UNILATERAL_SLOTS and bool(slots & ph.BILATERAL_SLOTS)


def is_temporal(text: str) -> bool:
    """Whether a sentence compares with a prior study (so needs one to exist)."""
    return bool(TEMPORAL.search(text))


def render(template: str, slots: dict[str, str]) -> str:
    """Fill a template and capitalise its first letter."""
    text = template.format(**slots)
    return text[:1].upper() + text[1:]


def merge_states(states: Iterable[str]) -> str:
    """Report-level state of one label: present > uncertain > absent > not_mentioned."""
    return max(states, key=PRECEDENCE.__getitem__, default="not_mentioned")


def report_labels(sentences: Iterable[Sentence]) -> dict[str, str]:
    """All 21 labels of a report, merged from its sentences; no_finding derived."""
    collected: dict[str, list[str]] = {label: [] for label in FINDING_LABELS}
    for sentence in sentences:
        for label, state in sentence.states.items():
            collected[label].append(state)
    merged = {label: merge_states(states) for label, states in collected.items()}
    positive = any(state in POSITIVE for state in merged.values())
    merged[ph.DERIVED_LABEL] = "absent" if positive else "present"
    return {label: merged[label] for label in ph.LABEL_IDS}


# ---------------------------------------------------------------------------------------------
# Bank validation: annotations must be honest before any report is built
# ---------------------------------------------------------------------------------------------
def _validate_phrase(phrase: ph.Phrase, *, label: str | None, state: str | None) -> None:
    states, _ = parse_ann(phrase.ann)
    slots = slots_of(phrase.text)
    where = f"{label}/{state}: {phrase.text!r}"
    unknown = slots - ph.LATERAL_SLOTS - set(ph.SLOT_VALUES)
    if unknown:
        raise ValueError(f"unknown slots {sorted(unknown)} in {where}")
    if label is not None and states.get(label) != state:
        raise ValueError(f"phrase does not annotate its own label and state: {where}")
    if not phrase.text.endswith(".") or ". {" in phrase.text or "vs." in phrase.text:
        raise ValueError(f"phrase must end with '.' and no sentence may start with a slot: {where}")
    for restated in phrase.imp:
        extra = set(parse_ann(restated.ann)[0].items()) - set(states.items())
        if extra:
            raise ValueError(f"restatement {restated.text!r} adds labels {extra} to {where}")
        if not slot_family(slots_of(restated.text)) <= slot_family(slots):
            raise ValueError(f"restatement {restated.text!r} uses slots not in {where}")


def validate_banks() -> None:
    """Raise ValueError if any bank entry is malformed or mislabelled."""
    missing = set(FINDING_LABELS) - set(fb.FINDINGS) - {"support_devices"}
    if missing or set(fb.FINDINGS) - set(FINDING_LABELS):
        raise ValueError(f"FINDINGS must cover every finding label; missing {sorted(missing)}")
    for label, by_state in fb.FINDINGS.items():
        for state, phrases in by_state.items():
            for phrase in phrases:
                _validate_phrase(phrase, label=label, state=state)
    for by_state in rb.DEVICES.values():
        for state, phrases in by_state.items():
            for phrase in phrases:
                _validate_phrase(phrase, label="support_devices", state=state)
    for label, by_state in rb.IMPRESSIONS.items():
        for state, phrases in by_state.items():
            for phrase in phrases:
                _validate_phrase(phrase, label=label, state=state)
                if set(parse_ann(phrase.ann)[0]) != {label}:
                    raise ValueError(f"default impression must name only {label}: {phrase.text!r}")
    fillers = [*rb.IMPRESSION_NORMAL, *rb.IMPRESSION_NO_ACUTE, *rb.IMPRESSION_NEGATIVE]
    fillers += [phrase for phrases in rb.NORMAL.values() for phrase in phrases]
    for phrase in fillers:
        _validate_phrase(phrase, label=None, state=None)
        if POSITIVE & set(parse_ann(phrase.ann)[0].values()) or slots_of(phrase.text):
            raise ValueError(f"filler must be slot-free and not positive: {phrase.text!r}")
    for phrase in rb.IMPRESSION_DEVICES:
        _validate_phrase(phrase, label="support_devices", state="present")
