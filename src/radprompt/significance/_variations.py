"""Perturbations that change how a report says something, not what it says.

Each works from the vocabulary file: synonyms are the labelset's own phrases grouped as
interchangeable, abbreviations and certainty-keeping wording are listed pairs, paraphrases are
whole-sentence patterns. A model's paraphrase (``LLMParaphraser``) is kept only when the rule
engine reads the same findings from it as from the reference, so a paraphrase that drops or
changes a finding never becomes a "harmless" pair.
"""

from __future__ import annotations

import random
import re

from radprompt.labelset import Label
from radprompt.significance._text import (
    apply_rewrite,
    capitalise,
    keep_case,
    mentioned_labels,
    replace_spans,
)
from radprompt.significance.perturb import Perturbation, Skip, Source, Variant
from radprompt.significance.vocabulary import normalise_words, word_pattern

__all__ = [
    "VARIATIONS",
    "AbbreviationExpansion",
    "Formatting",
    "HedgingNeutral",
    "Paraphrase",
    "SentenceReordering",
    "SynonymSubstitution",
]


def _body(source: Source) -> list[int]:
    return [i for i, s in enumerate(source.analysis.sentences) if s.in_body]


class Paraphrase(Perturbation):
    name = "paraphrase"
    significant = False
    description = "paraphrase: a sentence is reworded with the same meaning"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        if source.paraphrase is not None:
            before, after = source.analysis, source.reader.read(source.paraphrase)
            if any(before.state(label_id) != after.state(label_id)
                   for label_id in before.extracted_labels):
                return Skip("the model's paraphrase changed the findings")
            return Variant(source.paraphrase, tuple(before.positive_labels()),
                           "model paraphrase")
        options = []
        for index in _body(source):
            sentence = source.analysis.sentences[index]
            for rewrite in source.vocabulary.paraphrases:
                new = apply_rewrite(rewrite, sentence.text)
                if new is not None and new != sentence.text:
                    options.append((index, new))
                    break
        if not options:
            return Skip("no sentence matches a paraphrase pattern")
        index, new = rng.choice(options)
        sentence = source.analysis.sentences[index]
        text = replace_spans(source.report.text, [(sentence.start, sentence.end, new)])
        return Variant(text, mentioned_labels(source.analysis, [index]),
                       f"{sentence.text!r} -> {new!r}")


class SynonymSubstitution(Perturbation):
    name = "synonym"
    significant = False
    description = "synonym: a finding is named with a synonym from the labelset"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        groups = source.vocabulary.synonym_groups
        owners = _phrase_owners(source)
        pattern = word_pattern([phrase for group in groups for phrase in group])
        options = []
        for index in _body(source):
            sentence = source.analysis.sentences[index]
            for match in pattern.finditer(sentence.text):
                word = normalise_words(match.group(0))
                label = owners.get(word)
                if label is None or _excluded(label, sentence.text, match.span()):
                    continue
                others = [p for g in groups if word in {normalise_words(x) for x in g}
                          for p in g if normalise_words(p) != word]
                if others:
                    options.append((index, match.span(), match.group(0), others, label.id))
        if not options:
            return Skip("no phrase with a listed synonym")
        index, (start, end), word, others, label_id = rng.choice(options)
        new = keep_case(word, rng.choice(sorted(set(others))))
        sentence = source.analysis.sentences[index]
        text = replace_spans(source.report.text,
                             [(sentence.start + start, sentence.start + end, new)])
        return Variant(text, (label_id,), f"{word!r} -> {new!r}")


def _phrase_owners(source: Source) -> dict[str, Label]:
    owners: dict[str, Label] = {}
    for label in source.labelset.labels:
        for phrase in label.mention_phrases:
            owners.setdefault(normalise_words(phrase), label)
    return owners


def _excluded(label: Label, text: str, span: tuple[int, int]) -> bool:
    """Whether the mention at ``span`` lies inside one of the label's exclusions."""
    if not label.exclusions:
        return False
    exclusions = word_pattern(list(label.exclusions))
    return any(m.start() <= span[0] and span[1] <= m.end() for m in exclusions.finditer(text))


class SentenceReordering(Perturbation):
    name = "reordering"
    significant = False
    description = "reordering: the sentences of a section are given in another order"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        sections: dict[str, list[int]] = {}
        for index in _body(source):
            sections.setdefault(source.analysis.sentences[index].section, []).append(index)
        candidates = [indices for indices in sections.values()
                      if len({source.analysis.sentences[i].text for i in indices}) > 1]
        if not candidates:
            return Skip("no section with two different sentences")
        indices = rng.choice(candidates)
        order = list(indices)
        while order == indices:
            rng.shuffle(order)
        sentences = source.analysis.sentences
        edits = [(sentences[slot].start, sentences[slot].end, sentences[moved].text)
                 for slot, moved in zip(indices, order, strict=True)]
        text = replace_spans(source.report.text, edits)
        return Variant(text, mentioned_labels(source.analysis, indices),
                       f"{len(indices)} sentences reordered")


class AbbreviationExpansion(Perturbation):
    name = "abbreviation"
    significant = False
    description = ("abbreviation: an abbreviation is written out (or a term abbreviated) with "
                   "the same meaning")

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        abbreviations = source.vocabulary.abbreviations
        body = [source.analysis.sentences[i] for i in _body(source)]
        for direction in ("expand", "contract"):
            options = []
            for short, long in abbreviations.items():
                pattern = word_pattern([short], ignore_case=False) if direction == "expand" \
                    else word_pattern([long])
                hits = [(s, m) for s in body for m in pattern.finditer(s.text)]
                if hits:
                    options.append((short, long, hits))
            if not options:
                continue
            short, long, hits = rng.choice(options)
            new = long if direction == "expand" else short
            edits = [(sentence.start + match.start(), sentence.start + match.end(),
                      capitalise(new) if match.start() == 0 else new)
                     for sentence, match in hits]
            text = replace_spans(source.report.text, edits)
            indices = [source.analysis.sentences.index(s) for s, _ in hits]
            detail = f"{short} -> {long}" if direction == "expand" else f"{long} -> {short}"
            return Variant(text, mentioned_labels(source.analysis, indices), detail)
        return Skip("no abbreviation or abbreviable term")


class HedgingNeutral(Perturbation):
    name = "hedging_neutral"
    significant = False
    description = ("hedging-neutral rewording: wording is swapped for wording of the same "
                   "certainty")

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        groups = source.vocabulary.hedging_neutral
        pattern = word_pattern([phrase for group in groups for phrase in group])
        options = []
        for index in _body(source):
            sentence = source.analysis.sentences[index]
            for match in pattern.finditer(sentence.text):
                word = normalise_words(match.group(0))
                others = [p for g in groups if word in {normalise_words(x) for x in g}
                          for p in g if normalise_words(p) != word]
                if others:
                    options.append((index, match, others))
        if not options:
            return Skip("no wording with a listed equivalent")
        index, match, others = rng.choice(options)
        new = keep_case(match.group(0), rng.choice(sorted(set(others))))
        sentence = source.analysis.sentences[index]
        text = replace_spans(source.report.text, [(sentence.start + match.start(),
                                                   sentence.start + match.end(), new)])
        return Variant(text, mentioned_labels(source.analysis, [index]),
                       f"{match.group(0)!r} -> {new!r}")


_HEADER = re.compile(
    r"(?m)^(?P<indent>[ \t]*)(?P<name>[A-Za-z][A-Za-z /&]{1,40}?)(?P<colon>[ \t]*:)")
_NUMBER = re.compile(r"(?m)^[ \t]*\d{1,2}[.)][ \t]+")


def _header_case(text: str) -> str:
    def swap(match: re.Match[str]) -> str:
        name = match.group("name")
        new = name.title() if name.isupper() else name.upper()
        return match.group("indent") + new + match.group("colon")

    return _HEADER.sub(swap, text)


def _line_breaks(text: str) -> str:
    if "\n" in text:
        return re.sub(r"[ \t]*\n+[ \t]*", " ", text).strip()
    return _HEADER.sub(lambda m: "\n" + m.group(0).lstrip(), text).lstrip("\n")


def _numbering(text: str) -> str:
    return _NUMBER.sub("", text)


def _spacing(text: str) -> str:
    return re.sub(r"([.;]) (?=\S)", r"\1  ", text)


def _final_period(text: str) -> str:
    return re.sub(r"\.(?=[ \t]*(?:\n|$))", "", text)


_FORMATTING = {
    "header_case": _header_case,
    "line_breaks": _line_breaks,
    "numbering": _numbering,
    "spacing": _spacing,
    "final_period": _final_period,
}


class Formatting(Perturbation):
    name = "formatting"
    significant = False
    description = "formatting: layout, header case, list numbers, spacing or punctuation change"

    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        names = [name for name in source.vocabulary.formatting if name in _FORMATTING]
        rng.shuffle(names)
        text = source.report.text
        applied: list[str] = []
        for name in names:
            new = _FORMATTING[name](text)
            if new != text:
                text, applied = new, [*applied, name]
            if len(applied) == 2 or (applied and rng.random() < 0.5):
                break
        if not applied:
            return Skip("no formatting change applies")
        return Variant(text, (), ", ".join(applied))


VARIATIONS: dict[str, type[Perturbation]] = {
    "paraphrase": Paraphrase,
    "synonym": SynonymSubstitution,
    "reordering": SentenceReordering,
    "abbreviation": AbbreviationExpansion,
    "formatting": Formatting,
    "hedging_neutral": HedgingNeutral,
}
