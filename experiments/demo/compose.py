"""Choose which hand-written sentences make up one report, so it reads naturally.

Composition decides only *which* sentences go together (findings that co-occur clinically,
pertinent negatives, normal statements for the other regions, impression lines) and rejects any
combination that would repeat or contradict itself; the labels come from the sentences.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import findings_bank as fb
import phrases as ph
import report_banks as rb
from sentences import (
    POSITIVE,
    Sentence,
    allows_bilateral,
    is_temporal,
    parse_ann,
    sentence_of,
    slot_family,
    slots_of,
)

SHARE_UNCERTAIN = 0.25


# ---------------------------------------------------------------------------------------------
# Drafts: findings chosen so far, and the rules that keep them consistent
# ---------------------------------------------------------------------------------------------
@dataclass
class Instance:
    """One finding in one report: the chosen phrase, its slot values and rendered sentence."""

    label: str
    state: str
    phrase: ph.Phrase
    slots: dict[str, str]
    laterality: str | None
    sentence: Sentence
    device_kind: str | None = None


@dataclass
class Draft:
    """The findings of a report under construction."""

    temporal_ok: bool
    instances: list[Instance] = field(default_factory=list)
    fillers: dict[str, list[Sentence]] = field(default_factory=dict)

    def sentences(self) -> list[Sentence]:
        return [i.sentence for i in self.instances] + [
            s for group in self.fillers.values() for s in group
        ]

    def states(self) -> dict[str, set[str]]:
        """States each label has in the findings so far."""
        seen: dict[str, set[str]] = {}
        for sentence in self.sentences():
            for label, state in sentence.states.items():
                seen.setdefault(label, set()).add(state)
        return seen

    def positive_labels(self) -> set[str]:
        return {label for label, states in self.states().items() if states & POSITIVE}

    def fits(
        self, new: Sentence, *, shared: str | None = None, repeat_negations: bool = False
    ) -> bool:
        """Whether ``new`` can join the draft without repeating or contradicting it.

        ``shared`` may already be mentioned (several devices); with ``repeat_negations`` a
        negation may repeat one already made (impressions restate "No pneumothorax.").
        """
        seen = self.states()
        for label, state in new.states.items():
            if label not in seen or label == shared:
                continue
            if not (repeat_negations and state == "absent" and seen[label] == {"absent"}):
                return False
        if new.excludes & seen.keys():
            return False
        if any(s.excludes & new.states.keys() for s in self.sentences()):
            return False
        positives = self.positive_labels()
        negated = {label for label, states in seen.items() if "absent" in states}
        for label, state in new.states.items():
            blockers = set(rb.NEGATION_BLOCKERS.get(label, ()))
            if state == "absent" and blockers & positives:
                return False
            if state in POSITIVE and any(
                label in rb.NEGATION_BLOCKERS.get(other, ()) for other in negated
            ):
                return False
        return True


class Composer:
    """Draws phrases and slot values with one seeded random generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def slots_for(self, template: str) -> tuple[dict[str, str], str | None]:
        """Slot values for one finding, and its laterality if the template has one."""
        used = slots_of(template)
        values = {name: self.rng.choice(options) for name, options in ph.SLOT_VALUES.items()}
        laterality: str | None = None
        if used & ph.LATERAL_SLOTS:
            if allows_bilateral(used) and self.rng.random() < 0.3:
                laterality = "bilateral"
            else:
                laterality = self.rng.choice(("right", "left"))
            values.update(ph.lateral_values(laterality))
            if laterality != "bilateral":
                values["lobe"] = self.rng.choice(ph.LOBES[laterality])
                values["region"] = self.rng.choice(ph.REGIONS[laterality])
                if laterality == "left" and "base" in used and self.rng.random() < 0.3:
                    values["base"] = "left retrocardiac"
        return values, laterality

    def _try_add(
        self,
        draft: Draft,
        label: str,
        state: str,
        pool: Sequence[ph.Phrase],
        device_kind: str | None = None,
    ) -> bool:
        shared = "support_devices" if device_kind else None
        candidates = [
            phrase
            for phrase in pool
            if (draft.temporal_ok or not is_temporal(phrase.text))
            and draft.fits(sentence_of(phrase, _PROBE_SLOTS), shared=shared)
        ]
        if not candidates:
            return False
        phrase = self.rng.choice(candidates)
        slots, laterality = self.slots_for(phrase.text)
        sentence = sentence_of(phrase, slots)
        draft.instances.append(
            Instance(label, state, phrase, slots, laterality, sentence, device_kind)
        )
        return True

    def add_finding(self, draft: Draft, label: str, state: str) -> bool:
        """Add one finding of ``label`` in ``state``; False if no phrase fits the draft."""
        if label == "support_devices":
            return self.add_device(draft, state, kinds=tuple(rb.DEVICES))
        return self._try_add(draft, label, state, fb.FINDINGS[label].get(state, []))

    def add_device(self, draft: Draft, state: str, *, kinds: Sequence[str]) -> bool:
        """Add one support device of a kind not yet in the report (at most one removal)."""
        used = {i.device_kind for i in draft.instances}
        if state == "absent" and "absent" in draft.states().get("support_devices", set()):
            return False
        pool = [k for k in kinds if k not in used and rb.DEVICES[k].get(state)]
        self.rng.shuffle(pool)
        return any(
            self._try_add(draft, "support_devices", state, rb.DEVICES[kind][state], kind)
            for kind in pool
        )

    def add_fillers(self, draft: Draft, region: str, *, count: int) -> int:
        """Add up to ``count`` normal statements about a region; returns how many were added."""
        busy = {rb.REGION_OF[i.label] for i in draft.instances if i.state != "absent"}
        added = 0
        for _ in range(count):
            taken = {s.text for s in draft.sentences()}
            candidates = [
                phrase
                for phrase in rb.NORMAL.get(region, [])
                if phrase.text not in taken
                and (_region_group(region) not in busy or _speaks_to_finding(phrase))
                and (draft.temporal_ok or not is_temporal(phrase.text))
                and draft.fits(sentence_of(phrase))
            ]
            if not candidates:
                break
            draft.fillers.setdefault(region, []).append(sentence_of(self.rng.choice(candidates)))
            added += 1
        return added

    def restate(self, instance: Instance) -> Sentence | None:
        """An impression line for a finding, consistent with its slots and laterality."""
        defaults = rb.IMPRESSIONS.get(instance.label, {}).get(instance.state, [])
        pool = list(instance.phrase.imp) or defaults
        used = slot_family(slots_of(instance.phrase.text))
        fitting = []
        for phrase in pool:
            slots = slots_of(phrase.text)
            if not slot_family(slots) <= used:
                continue
            if instance.laterality == "bilateral" and slots & ph.LATERAL_SLOTS:
                if not allows_bilateral(slots):
                    continue
            fitting.append(phrase)
        if fitting and self.rng.random() >= 0.12:
            return sentence_of(self.rng.choice(fitting), instance.slots)
        return instance.sentence if self.rng.random() < 0.7 else None


# Any slot value will do when only a phrase's annotation is needed.
_PROBE_SLOTS = {name: values[0] for name, values in ph.SLOT_VALUES.items()} | {
    "lobe": "right upper lobe",
    "region": "right midlung zone",
    **ph.lateral_values("right"),
}


def _speaks_to_finding(phrase: ph.Phrase) -> bool:
    """Whether a normal statement may sit beside a finding in its region (it names a label and
    is not a global "lungs are clear" statement)."""
    states, excludes = parse_ann(phrase.ann)
    return bool(states) and "region" not in excludes


def _region_group(region: str) -> str:
    """Filler regions grouped like REGION_OF's regions."""
    return {"vessels": "heart", "trachea": "heart", "other": "bones"}.get(region, region)


# ---------------------------------------------------------------------------------------------
# Choosing the findings of a report
# ---------------------------------------------------------------------------------------------
class AnchorCycle:
    """Deals anchor labels for outpatient reports from a reshuffled deck (balanced coverage)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.deck: list[str] = []

    def draw(self) -> str:
        if not self.deck:
            self.deck = [
                label for label, repeats in rb.ANCHOR_REPEATS.items() for _ in range(repeats)
            ]
            self.rng.shuffle(self.deck)
        return self.deck.pop()


def _scenario_labels(rng: random.Random, scenario: str) -> list[str]:
    labels = [label for label, prob in rb.SCENARIOS[scenario] if rng.random() < prob]
    rng.shuffle(labels)
    return labels


def _positive_state(rng: random.Random) -> str:
    return "uncertain" if rng.random() < SHARE_UNCERTAIN else "present"


def _add_positives(composer: Composer, draft: Draft, kind: str, anchors: AnchorCycle) -> None:
    rng = composer.rng
    if kind == "icu":
        for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
            state = "uncertain" if rng.random() < 0.06 else "present"
            composer.add_device(draft, state, kinds=tuple(rb.DEVICES))
        if rng.random() < 0.3:
            composer.add_device(draft, "absent", kinds=tuple(rb.DEVICES))
        extras, scenario = _scenario_labels(rng, "icu"), "icu"
        anchor_labels: list[str] = []
    else:
        anchor_labels = [anchors.draw()]
        if rng.random() < 0.6:
            anchor_labels.append(anchors.draw())
        fitting = [
            name
            for name, pairs in rb.SCENARIOS.items()
            if name != "icu" and anchor_labels[0] in dict(pairs)
        ]
        scenario = rng.choice(fitting) if fitting and rng.random() < 0.55 else "mixed"
        extras = _scenario_labels(rng, scenario) if scenario != "mixed" else []
    for position, label in enumerate(dict.fromkeys(anchor_labels + extras)):
        is_anchor = position < len(anchor_labels)
        crowded = len(draft.positive_labels() & rb.PARENCHYMA) >= 2
        if not is_anchor and label in rb.PARENCHYMA and crowded:
            continue
        state = _positive_state(rng)
        if label == "support_devices" and kind != "icu":
            kinds = rb.DEVICES if scenario == "postop" else rb.OUTPATIENT_DEVICE_KINDS
            composer.add_device(draft, state, kinds=tuple(kinds))
        elif label not in draft.states():
            composer.add_finding(draft, label, state)


def _add_negations(composer: Composer, draft: Draft, kind: str) -> None:
    """Pertinent negatives: findings a radiologist would rule out in this context."""
    rng = composer.rng
    positives = draft.positive_labels()
    related = [n for label in sorted(positives) for n in rb.RELATED_NEGATIONS.get(label, ())]
    pool = list(dict.fromkeys(related)) or list(rb.NORMAL_REPORT_NEGATIONS)
    count = rng.choice((0, 0, 0, 1, 1) if kind == "normal" else (0, 1, 1, 2))
    for label in rng.sample(pool, min(count, len(pool))):
        if label in draft.states():
            continue
        before = len(draft.instances)
        composer.add_finding(draft, label, "absent")
        # a normal report stays normal: drop a negation that came with a positive finding
        if kind == "normal" and draft.positive_labels():
            del draft.instances[before:]


def compose_findings(
    rng: random.Random, kind: str, *, temporal_ok: bool, anchors: AnchorCycle
) -> Draft:
    """Choose the findings of one report of ``kind`` (normal, outpatient or icu)."""
    composer = Composer(rng)
    draft = Draft(temporal_ok=temporal_ok)
    if kind != "normal":
        _add_positives(composer, draft, kind, anchors)
        if not draft.positive_labels():
            composer.add_finding(draft, "lung_opacity", "present")
    if kind == "normal" and temporal_ok and rng.random() < 0.08:
        composer.add_device(draft, "absent", kinds=tuple(rb.DEVICES))  # follow-up after removal
        if draft.positive_labels():
            draft.instances.clear()
    _add_negations(composer, draft, kind)
    budget = max(1, rng.randint(4, 8) - len(draft.instances))
    wants = {
        "heart": 1.0,
        "lungs": 1.0,
        "pleura": 0.85,
        "vessels": 0.45,
        "trachea": 0.3,
        "bones": 0.55,
        "other": 0.12,
    }
    for region in rng.choice(rb.NORMAL_ORDERS):
        if region in wants and budget > 0 and rng.random() < wants[region]:
            count = 2 if region == "lungs" and rng.random() < 0.3 else 1
            budget -= composer.add_fillers(draft, region, count=min(count, budget))
    return draft


def findings_sentences(rng: random.Random, draft: Draft) -> list[Sentence]:
    """Order findings and fillers by region, the way a radiologist reads the film."""
    order = rng.choice(rb.NORMAL_ORDERS)
    by_region: dict[str, list[Sentence]] = {region: [] for region in order}
    for instance in draft.instances:
        by_region[rb.REGION_OF[instance.label]].append(instance.sentence)
    for region, fillers in draft.fillers.items():
        by_region[region].extend(fillers)
    result: list[Sentence] = []
    for region in order:
        group = by_region[region]
        rng.shuffle(group)
        result.extend(group)
    return result


def impression_sentences(rng: random.Random, draft: Draft) -> tuple[list[Sentence], list[Sentence]]:
    """Impression lines: restated key findings first, then negative or reassuring lines."""
    composer = Composer(rng)
    positives = [i for i in draft.instances if i.state != "absent"]
    positive_labels = draft.positive_labels()
    if not positives:
        pool = [
            phrase
            for phrase in rb.IMPRESSION_NORMAL
            if (draft.temporal_ok or not is_temporal(phrase.text))
            and draft.fits(sentence_of(phrase), repeat_negations=True)
        ]
        return [], [sentence_of(rng.choice(pool))]
    positives.sort(key=lambda i: rb.IMPRESSION_PRIORITY.index(i.label))
    devices = [i for i in positives if i.label == "support_devices"]
    restated: list[Sentence] = []
    for instance in positives:
        if len(restated) == 4 or (restated and rng.random() < 0.2):
            continue
        if instance.label == "support_devices":
            if instance is not devices[0]:
                continue
            chronic = instance.device_kind in rb.OUTPATIENT_DEVICE_KINDS
            if chronic and rng.random() < 0.75:
                continue  # a port or sternotomy wires rarely reach the impression
            if len(devices) > 1 and rng.random() < 0.6:
                restated.append(sentence_of(rng.choice(rb.IMPRESSION_DEVICES)))
                continue
        line = composer.restate(instance)
        if line is not None and line.text not in {s.text for s in restated}:
            restated.append(line)
    extras: list[Sentence] = []
    if positive_labels <= rb.CHRONIC_LABELS and rng.random() < 0.5:
        extras.append(sentence_of(rng.choice(rb.IMPRESSION_NO_ACUTE)))
    elif rng.random() < 0.35 or not restated:
        pool = [
            phrase
            for phrase in rb.IMPRESSION_NEGATIVE
            if draft.fits(sentence_of(phrase), repeat_negations=True)
        ]
        if pool:
            extras.append(sentence_of(rng.choice(pool)))
    if not restated and not extras:
        restated.append(positives[0].sentence)
    return restated, extras
