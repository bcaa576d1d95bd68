"""Does a mined phrase keep a label's clinical meaning? Word stems of each label's definition.

The lexical miner finds n-grams that are common in the reports a label missed. Common is not
enough: "lower lobes" or "walls" are common in missed bronchial-wall reports too, and a
clinician would never accept them as an airway finding. A candidate synonym is kept only when
it is *anchored* in the label's meaning: its words are the words the label's name, definition
(up to "Do not count") and phrases use, and at least one of them is distinctive (a word of the
label's own name, or one few other labels use). "thickened bronchial walls" is anchored in
Trachea and bronchus ("bronchial wall thickening"); "pulmonary arterial enlargement" in
Pulmonary vascular abnormal ("enlarged central pulmonary arteries").

Stems are crude on purpose (a plural s dropped, then the first five letters): "arterial" and
"arteries", "thickened" and "thickening" share one. No model, no word list to download.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from radprompt.extractors.attributes import DESCRIPTORS
from radprompt.extractors.segment import sentences
from radprompt.labelset import Label, LabelSet

__all__ = ["MeaningIndex", "finding_sentences", "only_describes", "stem"]

_WORD = re.compile(r"[a-z][a-z'\-]*")
_EXCLUDED_PART = re.compile(r"\b(do not count|does not count|not counted)\b", re.IGNORECASE)
_FUNCTION_WORDS = frozenset(
    "a an the of and or in on at to is are was were be been with for from by as this that "
    "there these those it its which has have had noted seen again also both any all its into "
    "other than such when their alone only named report reports label count counted but "
    "however show shows showing demonstrate demonstrates overlying projecting consistent "
    "compatible suggesting suggest suggests suggestive base bases side".split()
)
"""Words of report structure and hedging, and bare locations: never a finding's meaning."""
_NEVER_FREE = frozenset(
    "right left bilateral bilaterally upper lower mid middle most more less apex apical basilar "
    "lung lungs chest normal normally abnormal unremarkable clear stable unchanged new old prior "
    "within limits size".split()
)
"""Where, how much and normality: never the one word of a synonym outside the label's meaning
('right chest', 'lung most', 'leads show normal' are no findings)."""
_NORMAL = frozenset("normal normally unremarkable clear within limits".split())
_ADJECTIVE_END = re.compile(r"(al|ic|iac|ar|ous|ive|ary|(?<!m)ent|ant)$")
"""A synonym does not end on an adjective ('abnormal pulmonary', 'right costophrenic' are
fragments of a phrase, not a finding)."""
_DISTINCTIVE_AT_MOST = 2
"""A stem shared by at most this many labels' meanings marks one of them."""
_LONE_WORD_MIN = 8
_MODIFIER = re.compile(r"(al|ic|ar|ous|ed|ive|ary|ful|less|ly|ent|ant)$")
"""A word alone is a finding only when it is a long noun that the label's own definition uses
and no other label's meaning does ('sternotomy' for Support Devices, 'blunting' for Pleural
Effusion); an adjective alone ('bronchial') or a shared word ('thickening': bronchial wall or
pleural) never is."""


def stem(word: str) -> str:
    """Crude stem: lower case, a plural s dropped, the first five letters."""
    word = word.lower()
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    return word[:5]


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _FUNCTION_WORDS and len(w) > 2]


def _meaning_text(label: Label) -> str:
    """What a label is: its name, its definition up to the first exclusion, its phrases."""
    definition = _EXCLUDED_PART.split(label.definition, maxsplit=1)[0]
    return " ".join((label.name, label.id.replace("_", " "), definition,
                     *label.phrases, *label.synonyms))


class MeaningIndex:
    """Each label's meaning stems, and how many labels share each stem."""

    def __init__(self, labelset: LabelSet) -> None:
        self.stems: dict[str, frozenset[str]] = {
            label.id: frozenset(stem(w) for w in _content_words(_meaning_text(label)))
            for label in labelset.labels if label.derived is None}
        self._spread: Counter[str] = Counter(s for stems in self.stems.values() for s in stems)
        self._definition_words: dict[str, frozenset[str]] = {
            label.id: frozenset(_content_words(_EXCLUDED_PART.split(label.definition, 1)[0]))
            for label in labelset.labels if label.derived is None}
        self._name_stems: dict[str, frozenset[str]] = {
            label.id: frozenset(stem(w) for w in _content_words(label.name))
            for label in labelset.labels if label.derived is None}
        self._phrases: dict[str, tuple[str, ...]] = {
            label.id: tuple(" ".join(p.lower().split()) for p in label.mention_phrases)
            for label in labelset.labels if label.derived is None}
        self._hedged: dict[str, tuple[frozenset[str], ...]] = {
            label.id: tuple(frozenset(_content_words(p)) for p in label.uncertain_phrases)
            for label in labelset.labels if label.derived is None}
        self._word_spread: Counter[str] = Counter(
            w for label in labelset.labels if label.derived is None
            for w in set(_content_words(_meaning_text(label))))

    def anchored(self, label_id: str, gram: str) -> bool:
        """Is ``gram`` worded in the label's own terms (all content words but one, and at
        least one distinctive)? The one free word is never a place, an amount or normality;
        the last word is no adjective; a part of the label's own phrase is not new, nor a part
        of a phrase the label reads as uncertain by itself ('blunting' of 'costophrenic
        blunting'). One word alone only when it is a long noun the label's definition names."""
        words = _content_words(gram)
        own = self.stems.get(label_id, frozenset())
        if any(set(words) <= hedged for hedged in self._hedged.get(label_id, ())):
            return False  # a part of a phrase the label reads as uncertain would read present
        if len(words) == 1 and len(gram.split()) == 1:
            word = words[0]
            return (len(word) >= _LONE_WORD_MIN and not _MODIFIER.search(word)
                    and word in self._definition_words.get(label_id, frozenset())
                    and self._word_spread[word] == 1
                    and not self._named_in_own_phrase(label_id, word))
        if len(words) < 2 or _ADJECTIVE_END.search(words[-1]) or _NORMAL & set(words):
            return False
        if self._inside_own_phrase(label_id, gram):
            return False
        anchored = [stem(w) for w in words if stem(w) in own]
        free = [w for w in words if stem(w) not in own]
        if len(free) > 1 or any(part in _NEVER_FREE for w in free for part in w.split("-")):
            return False
        names = self._name_stems.get(label_id, frozenset())
        return any(s in names or self._spread[s] <= _DISTINCTIVE_AT_MOST for s in anchored)

    def _named_in_own_phrase(self, label_id: str, word: str) -> bool:
        """Does one of the label's own phrases say ``word`` of an organ the label is named
        after ('narrowing' of 'tracheal narrowing')? Then the word alone has lost the organ
        that made it this label's finding (a disc space narrows too)."""
        names = self._name_stems.get(label_id, frozenset())
        for phrase in self._phrases.get(label_id, ()):
            words = _content_words(phrase)
            if word in words and any(stem(w) in names for w in words if w != word):
                return True
        return False

    def _inside_own_phrase(self, label_id: str, gram: str) -> bool:
        """A part of one of the label's own phrases ('pulmonary artery' of 'enlarged pulmonary
        artery') has lost the word that made it a finding."""
        padded = f" {' '.join(gram.lower().split())} "
        return any(padded in f" {phrase} " and padded.strip() != phrase
                   for phrase in self._phrases.get(label_id, ()))


def only_describes(text: str) -> bool:
    """Is every word of ``text`` a side, a size or severity, or a place ("right", "small",
    "lower lobe", "2 cm")? Such words say where or how much of a finding, never whether it is
    there, so no reading cue is made of them alone.

    >>> only_describes("right"), only_describes("mild bilateral"), only_describes("no new")
    (True, True, False)
    """
    for pattern in DESCRIPTORS:
        text = pattern.sub(" ", text)
    return re.search(r"\w", text) is None


def finding_sentences(text: str, *, ignored_sections: Iterable[str]) -> list[str]:
    """The sentences of a report that may state a finding (not indication or history)."""
    skip = frozenset(s.lower() for s in ignored_sections)
    kept = []
    for sentence in sentences(text):
        section = sentence.section.lower()
        if section in skip or any(section.endswith(" " + name) for name in skip):
            continue
        kept.append(text[sentence.start:sentence.end])
    return kept


def gapped_phrases(phrases: Iterable[str], texts: dict[str, str], *,
                   ignored_sections: Iterable[str]) -> dict[str, list[str]]:
    """A label's own phrases found with a few words between their first and last words in
    missed reports ("nodular right lower lobe opacity" for 'nodular opacity' ->
    ``"nodular * opacity"``; "heart is now slightly large" for 'heart is slightly large' ->
    ``"heart * large"``), and a participle before its noun said as a predicate ("the heart is
    mildly enlarged" for 'enlarged heart' -> ``"heart * enlarged"``) or an organ's adjective
    after what happens to it ("narrowing of the tracheal air column" for 'tracheal narrowing'
    -> ``"narrowing * tracheal"``), with the report ids.
    The words are the label's own; only the gap and the order are new ('*' = up to three
    words)."""
    pairs = _end_words(phrases)
    found: dict[str, list[str]] = {}
    for report_id, text in texts.items():
        for sentence in finding_sentences(text, ignored_sections=ignored_sections):
            stems = [stem(w) for w in _WORD.findall(sentence.lower()) if w != "xxxx"]
            for first, last in pairs:
                if any(s == stem(first) and stem(last) in stems[i + 2:i + 5]
                       for i, s in enumerate(stems)):
                    ids = found.setdefault(f"{first} * {last}", [])
                    if report_id not in ids:
                        ids.append(report_id)
    return found


_ACTION_NOUN = re.compile(r"(ing|tion|sis)$")
"""A noun of what happens to an organ ('narrowing', 'deviation', 'stenosis'), said after its
organ's adjective or before it with "of the" between ('tracheal narrowing', 'narrowing of the
tracheal air column')."""


def _end_words(phrases: Iterable[str]) -> list[tuple[str, str]]:
    """(first, last) content words of each multi-word phrase; (noun, participle) for a
    participle before its noun ('enlarged heart' -> ('heart', 'enlarged')); and (action, organ)
    for an organ's adjective before what happens to it ('tracheal narrowing' ->
    ('narrowing', 'tracheal'))."""
    pairs: list[tuple[str, str]] = []
    for phrase in phrases:
        words = [w for w in _WORD.findall(phrase.lower()) if w not in _FUNCTION_WORDS]
        if "*" in phrase or len(words) < 2:
            continue
        pairs.append((words[0], words[-1]))
        if len(words) == 2 and (words[0].endswith("ed") or (
                _ADJECTIVE_END.search(words[0]) and _ACTION_NOUN.search(words[1]))):
            pairs.append((words[1], words[0]))
    return list(dict.fromkeys(pairs))
