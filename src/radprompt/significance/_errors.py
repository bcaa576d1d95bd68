"""Perturbations that make a clinically significant error.

Each one changes every sentence that carries the chosen finding, so the report does not
contradict itself (the findings and the impression say the same wrong thing). Changes that
should alter a finding's state (negation flip, false finding, omitted finding) are read back
with the rule engine and kept only when they did.
"""

from __future__ import annotations

import random
import re

from radprompt.findings import State
from radprompt.labelset import Label
from radprompt.significance._text import (
    apply_rewrite,
    capitalise,
    changed_labels,
    decapitalise,
    format_number,
    keep_case,
    mentioned_labels,
    remove_sentence,
    replace_spans,
)
from radprompt.significance.analysis import ReportSentence
from radprompt.significance.perturb import Perturbation, Skip, Source, Variant
from radprompt.significance.vocabulary import normalise_words, word_pattern

__all__ = [
    "ERRORS",
    "DeviceMalposition",
    "FalseFinding",
    "LateralitySwap",
    "NegationFlip",
    "OmittedFinding",
    "SeverityChange",
    "WrongMeasurement",
]


def _shuffled(items: list[str], rng: random.Random) -> list[str]:
    items = list(items)
    rng.shuffle(items)
    return items


def _checked(source: Source, text: str, label_id: str) -> tuple[str, ...] | None:
    """Labels whose positivity changed, if ``label_id``'s did; else ``None``."""
    changed = changed_labels(source.analysis, source.reader.read(text))
    return changed if label_id in changed else None


class NegationFlip(Perturbation):
    name = "negation_flip"
    significant = True
    description = ("negation flip: a finding the reference states is negated, or a finding it "
                   "rules out is stated")

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        analysis = source.analysis
        cues = source.labelset.cues
        negation_words = word_pattern([*cues.negation_pre, *cues.negation_post, *cues.pseudo])
        options = [(label_id, "negate") for label_id in analysis.positive_labels()]
        options += [(label_id, "assert") for label_id in analysis.extracted_labels
                    if analysis.state(label_id) is State.ABSENT]
        rng.shuffle(options)
        for label_id, direction in options:
            if direction == "negate":
                sentences = analysis.positive_sentences(label_id)
                if any(negation_words.search(s.text) for s in sentences):
                    continue
                edits = [(s.start, s.end, self._negate(source, s.text)) for s in sentences]
            else:
                sentences = analysis.sentences_with(label_id, State.ABSENT)
                new_texts = [self._assert(source, s.text) for s in sentences]
                if not sentences or any(new is None for new in new_texts):
                    continue
                edits = [(s.start, s.end, str(new))
                         for s, new in zip(sentences, new_texts, strict=True)]
            if not edits:
                continue
            text = replace_spans(source.report.text, edits)
            changed = _checked(source, text, label_id)
            if changed is not None:
                verb = "negated" if direction == "negate" else "asserted"
                return Variant(text, changed, f"{label_id} {verb} in {len(edits)} sentence(s)")
        return Skip("no finding whose negation could be flipped")

    @staticmethod
    def _negate(source: Source, sentence: str) -> str:
        for rewrite in source.vocabulary.negate:
            new = apply_rewrite(rewrite, sentence)
            if new is not None:
                return new
        return f"No {decapitalise(sentence)}"

    @staticmethod
    def _assert(source: Source, sentence: str) -> str | None:
        replacements = {normalise_words(old): new
                        for old, new in source.vocabulary.assert_negated.items()}
        pattern = word_pattern(list(replacements))
        if match := pattern.search(sentence):
            wanted = replacements[normalise_words(match.group(0))]
            new = sentence[:match.start()] + keep_case(match.group(0), wanted) + \
                sentence[match.end():]
            return capitalise(re.sub(r"\s{2,}", " ", new).strip())
        cue = word_pattern(list(source.labelset.cues.negation_pre))
        if match := cue.search(sentence):
            rest = sentence[match.end():].lstrip()
            before = sentence[:match.start()]
            return capitalise(before + rest) if before else capitalise(rest)
        return None


class LateralitySwap(Perturbation):
    name = "laterality_swap"
    significant = True
    description = "laterality swap: a finding is placed on the wrong side"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        vocabulary = source.vocabulary
        swaps = {normalise_words(word): options
                 for word, options in vocabulary.laterality_swaps.items()}
        for label_id in _shuffled(source.analysis.positive_labels(), rng):
            sentences = [s for s in source.analysis.positive_sentences(label_id)
                         if vocabulary.laterality_pattern.search(s.text)]
            if not sentences:
                continue
            chosen = {word: rng.choice(options) for word, options in sorted(swaps.items())}
            edits = []
            for sentence in sentences:
                for match in vocabulary.laterality_pattern.finditer(sentence.text):
                    word = match.group(0)
                    new = keep_case(word, chosen[normalise_words(word)])
                    edits.append((sentence.start + match.start(), sentence.start + match.end(),
                                  new))
            text = replace_spans(source.report.text, edits)
            labels = mentioned_labels(source.analysis, _indices(source, sentences))
            return Variant(text, labels, f"{label_id}: sides swapped in {len(sentences)} "
                                         "sentence(s)")
        return Skip("no side word in a positive finding sentence")


class SeverityChange(Perturbation):
    name = "severity_change"
    significant = True
    description = "severity change: a finding's size or severity is misstated"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        vocabulary = source.vocabulary
        found_word = False
        for label_id in _shuffled(source.analysis.positive_labels(), rng):
            sentences = source.analysis.positive_sentences(label_id)
            matches = [(s, m) for s in sentences
                       for m in vocabulary.severity_pattern.finditer(s.text)]
            if not matches:
                continue
            found_word = True
            _, match = matches[0]
            word = match.group(0)
            options = self._replacements(source, word)
            if not options:
                continue
            new_word = rng.choice(options)
            same = word_pattern([word])
            edits = [(s.start + m.start(), s.start + m.end(), keep_case(m.group(0), new_word))
                     for s in sentences for m in same.finditer(s.text)]
            text = replace_spans(source.report.text, edits)
            labels = mentioned_labels(source.analysis, _indices(source, sentences))
            return Variant(text, labels, f"{label_id}: {word.lower()} -> {new_word}")
        if found_word:
            return Skip("no severity word far enough along its scale")
        return Skip("no severity word in a positive finding sentence")

    @staticmethod
    def _replacements(source: Source, word: str) -> list[str]:
        level = source.vocabulary.severity_level(word)
        if level is None:
            return []
        minimum = source.vocabulary.severity.min_change
        options: list[str] = []
        for scale in source.vocabulary.severity.scales:
            if normalise_words(word) not in {normalise_words(w) for w in scale}:
                continue
            options += [w.lower() for w, v in scale.items()
                        if abs(v - level) >= minimum and " to " not in w]
        return sorted(set(options))


class FalseFinding(Perturbation):
    name = "false_finding"
    significant = True
    description = "false finding: the candidate reports a finding the reference does not have"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        analysis = source.analysis
        body = [i for i, s in enumerate(analysis.sentences) if s.in_body]
        frames = source.vocabulary.false_finding_frames
        if not body or not frames:
            return Skip("no findings section to add to")
        labels: list[Label] = [label for label in source.labelset.labels
                               if label.derived is None and label.phrases
                               and analysis.state(label.id) is State.NOT_MENTIONED]
        rng.shuffle(labels)
        for label in labels:
            sentence = capitalise(rng.choice(frames).format(phrase=label.phrases[0]))
            after = analysis.sentences[rng.choice(body)]
            text = source.report.text
            text = text[:after.end] + " " + sentence + text[after.end:]
            changed = _checked(source, text, label.id)
            if changed is not None:
                return Variant(text, changed, f"added {sentence!r}")
        return Skip("no unmentioned finding could be added")


class OmittedFinding(Perturbation):
    name = "omitted_finding"
    significant = True
    description = "omitted finding: a finding of the reference is missing from the candidate"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        analysis = source.analysis
        text = source.report.text
        for label_id in _shuffled(analysis.positive_labels(), rng):
            sentences = analysis.positive_sentences(label_id)
            if not sentences or len(sentences) == len(analysis.body_sentences()):
                continue
            new = replace_spans(text, [(*remove_sentence(text, s.start, s.end), "")
                                       for s in sentences])
            changed = _checked(source, new.rstrip(), label_id)
            if changed is not None:
                return Variant(new.rstrip(), changed,
                               f"{label_id}: removed {len(sentences)} sentence(s)")
        return Skip("no positive finding that can be removed")


class DeviceMalposition(Perturbation):
    name = "device_malposition"
    significant = True
    description = "device malposition: a tube, line or lead is said to be in the wrong place"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        vocabulary = source.vocabulary
        for index, sentence in enumerate(source.analysis.sentences):
            if not sentence.in_body or not any(sentence.positive(label_id)
                                               for label_id in sentence.states):
                continue
            if vocabulary.malpositioned(sentence.text):
                continue
            for rewrite in vocabulary.device_malposition.rewrites:
                match = rewrite.regex.search(sentence.text)
                if match is None:
                    continue
                new = sentence.text[:match.start()] + rewrite.replacement + \
                    sentence.text[match.end():]
                text = replace_spans(source.report.text, [(sentence.start, sentence.end, new)])
                labels = mentioned_labels(source.analysis, [index])
                return Variant(text, labels, f"{match.group(0)!r} -> {rewrite.replacement!r}")
        return Skip("no device position statement")


class WrongMeasurement(Perturbation):
    name = "wrong_measurement"
    significant = True
    description = "wrong measurement: a size or distance is misstated"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        vocabulary = source.vocabulary
        pattern = vocabulary.measurement_pattern
        for label_id in _shuffled(source.analysis.positive_labels(), rng):
            sentences = [s for s in source.analysis.positive_sentences(label_id)
                         if pattern.search(s.text)]
            if not sentences:
                continue
            factor = rng.choice(vocabulary.measurement.factors)
            edits, changes = [], []
            for sentence in sentences:
                for match in pattern.finditer(sentence.text):
                    value = match.group("value")
                    new = format_number(float(value) * factor, integer="." not in value
                                        and match.group("unit") == "mm")
                    if new == value:
                        continue
                    start = sentence.start + match.start("value")
                    edits.append((start, start + len(value), new))
                    changes.append(f"{value} -> {new} {match.group('unit')}")
            if edits:
                text = replace_spans(source.report.text, edits)
                labels = mentioned_labels(source.analysis, _indices(source, sentences))
                return Variant(text, labels, f"{label_id}: " + ", ".join(changes))
        return Skip("no measurement in a positive finding sentence")


def _indices(source: Source, sentences: list[ReportSentence]) -> list[int]:
    wanted = {id(s) for s in sentences}
    return [i for i, s in enumerate(source.analysis.sentences) if id(s) in wanted]


ERRORS: dict[str, type[Perturbation]] = {
    "negation_flip": NegationFlip,
    "laterality_swap": LateralitySwap,
    "severity_change": SeverityChange,
    "false_finding": FalseFinding,
    "omitted_finding": OmittedFinding,
    "device_malposition": DeviceMalposition,
    "wrong_measurement": WrongMeasurement,
}
