"""The reading rules of the rule engine: which cue, if any, decides one mention's state.

A mention's state is decided by the nearest cue in scope, within its sentence:

- ``*_pre`` cues reach forward, ``*_post`` cues backward, at most ``scope_tokens`` words, and
  never across a termination word ("but", "however", ", with"). A pre cue crosses a comma only
  inside a coordinated list ("no effusion, consolidation, or pneumothorax"), where its scope
  grows to a list's length; a post cue crosses a comma only back over a list of three or more
  short items ("consolidation, atelectasis, and effusion have cleared"), never out of a clause
  ("line in place, heart size within normal limits" says nothing about the line).
- hedges have a strength: ``uncertainty_*`` cues are low-probability ("may", "cannot
  exclude"), ``probable_*`` cues high-probability ("likely", "consistent with"); the labelset's
  ``hedges`` convention turns each strength into a state.
- "versus" marks the findings on both sides, but not a finding a hedge comes after: in
  "opacity may represent atelectasis versus pneumonia" the opacity is what was seen. A
  low-probability hedge that reaches the "versus" reaches the finding after it ("may be
  secondary to scarring and emphysematous change versus interstitial lung disease").
- a bare differential with no hedge word ("atelectasis or consolidation", "pneumonia or
  aspiration", "atelectasis/consolidation") is uncertain for the findings in it.
- uncertainty wins a tie with negation ("cannot rule out" beats "rule out").
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from radprompt.extractors._phrases import compile_phrases
from radprompt.findings import State
from radprompt.labelset import Cues, Hedges

__all__ = ["CompiledCues", "SentenceContext", "mention_state"]

_WORD = re.compile(r"[\w']+")
_TOKEN = re.compile(r"\w+")
_LIST_CONJUNCTION = re.compile(r"(?i:(?<!\w)(?:or|nor|and)(?!\w))|(?<=[a-z]{4})/\s*(?=[a-z]{4})")
_OR = re.compile(r"(?<!\w)(?:or|nor)(?!\w)", re.IGNORECASE)
_COMMA_WITH = re.compile(r",\s*with(?!\w)", re.IGNORECASE)
"""", with" opens the next finding: "suggestive of edema, with bilateral effusions"."""
_OR_AFTER = re.compile(r"\s+or\s+(?=\w)", re.IGNORECASE)
_OR_BEFORE = re.compile(r"\w\s+or\s+$", re.IGNORECASE)
_SLASH_AFTER = re.compile(r"\s*/\s*")
_SLASH_BEFORE = re.compile(r"\s*/\s*$")
_LIST_SCOPE_FACTOR = 2.5
"""A pre cue in front of a coordinated list reaches this many times further."""
_BIDIRECTIONAL_SCOPE = 4
"""Words "versus" reaches on either side: "atelectasis versus early pneumonia", not a list."""
_NONE = 10**9
_CUE_NAMES = ("negation_pre", "negation_post", "uncertainty_pre", "uncertainty_post",
              "probable_pre", "probable_post", "bidirectional")
_HEDGES_PRE = ("uncertainty_pre", "probable_pre")


@dataclass(frozen=True)
class CompiledCues:
    negation_pre: re.Pattern[str] | None
    negation_post: re.Pattern[str] | None
    uncertainty_pre: re.Pattern[str] | None
    uncertainty_post: re.Pattern[str] | None
    probable_pre: re.Pattern[str] | None
    probable_post: re.Pattern[str] | None
    bidirectional: re.Pattern[str] | None
    pseudo: re.Pattern[str] | None
    termination: re.Pattern[str] | None
    scope_tokens: int
    first_words: dict[str, frozenset[str] | None]
    """Per cue family, the first words of its cues (``None``: a cue starts with no word): a
    sentence with none of them has no cue of the family, and its pattern need not run."""
    plan: tuple[tuple[str, frozenset[str] | None, re.Pattern[str]], ...] = ()
    """(name, first words, pattern) of each family with cues: what ``cue_spans`` runs."""

    @classmethod
    def build(cls, cues: Cues) -> CompiledCues:
        def pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
            return compile_phrases(phrases, plural=False)

        families = {name: getattr(cues, name) for name in (*_CUE_NAMES, "pseudo", "termination")
                    if name != "bidirectional"}
        families["bidirectional"] = cues.bidirectional_uncertainty
        first_words = {name: _first_words(phrases) for name, phrases in families.items()}
        compiled = {name: pattern(phrases) for name, phrases in families.items()}
        return cls(
            first_words=first_words,
            plan=tuple((name, first_words[name], found) for name in (*_CUE_NAMES, "termination")
                       if (found := compiled[name]) is not None),
            scope_tokens=cues.scope_tokens,
            **compiled,
        )


def _first_words(phrases: tuple[str, ...]) -> frozenset[str] | None:
    words = set()
    for phrase in phrases:
        match = _TOKEN.match(phrase.strip().lower())
        if match is None:
            return None
        words.add(match.group())
    return frozenset(words)


_FAMILIES = (*_CUE_NAMES, "termination")
_NO_SPANS: list[tuple[int, int]] = []  # a family with no cue in the sentence (only ever read)


def _outside(spans: list[tuple[int, int]], pseudo: list[tuple[int, int]]
             ) -> list[tuple[int, int]]:
    """The cue spans that overlap no pseudo cue ("no change" is not a negation); pseudo spans
    are sorted and disjoint, so only the last one starting before a span's end can overlap."""
    starts = [p_start for p_start, _ in pseudo]
    return [span for span in spans if (index := bisect.bisect_left(starts, span[1]) - 1) < 0
            or pseudo[index][1] <= span[0]]


class SentenceContext:
    """One sentence with its cue and finding matches, computed once and only when needed."""

    __slots__ = ("_cue_cache", "_findings", "_token_starts", "_words", "end", "start", "text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self.text = text
        self.start = start
        self.end = end
        self._token_starts: list[int] | None = None
        self._cue_cache: dict[int, dict[str, list[tuple[int, int]]]] = {}
        self._findings: tuple[set[int], set[int]] | None = None
        self._words: frozenset[str] | None = None

    def token_index(self, offset: int) -> int:
        if self._token_starts is None:
            words = _WORD.finditer(self.text, self.start, self.end)
            self._token_starts = [m.start() for m in words]
        return bisect.bisect_left(self._token_starts, offset)

    def finding_edges(self, findings: re.Pattern[str] | None) -> tuple[set[int], set[int]]:
        """Start and end offsets of every finding of any label in this sentence."""
        if self._findings is None:
            spans = self._find(findings)
            self._findings = ({s for s, _ in spans}, {e for _, e in spans})
        return self._findings

    def cue_spans(self, cues: CompiledCues) -> dict[str, list[tuple[int, int]]]:
        cached = self._cue_cache.get(id(cues))
        if cached is not None:
            return cached
        if (words := self._words) is None:
            words = self._words = frozenset(_TOKEN.findall(self.text[self.start:self.end].lower()))
        pseudo = self._find(cues.pseudo) if (first := cues.first_words["pseudo"]) is None or (
            not words.isdisjoint(first)) else []
        spans = dict.fromkeys(_FAMILIES, _NO_SPANS)
        for name, first, pattern in cues.plan:
            if first is not None and words.isdisjoint(first):
                continue
            found = [m.span() for m in pattern.finditer(self.text, self.start, self.end)]
            if pseudo and found and name != "termination":
                found = _outside(found, pseudo)
            spans[name] = found
        self._cue_cache[id(cues)] = spans
        return spans

    def _find(self, pattern: re.Pattern[str] | None) -> list[tuple[int, int]]:
        if pattern is None:
            return []
        return [m.span() for m in pattern.finditer(self.text, self.start, self.end)]


_CLAUSE_WORDS = frozenset((
    "is", "are", "was", "were", "be", "been", "has", "have", "had", "remains", "remain",
    "persists", "noted", "seen", "identified", "present", "demonstrated", "visualized",
    "appears", "appear", "place", "terminates", "projects", "overlies", "there", "which",
    "position", "positioned", "unchanged", "tip", "courses", "extends", "ends", "stable"))
"""Words that make a comma-separated chunk a clause of its own, not an item of a list."""
_ITEM_BREAKERS = frozenset((
    "stable", "unchanged", "again", "persistent", "new", "increased", "decreased", "improved",
    "worsened", "small", "mild", "mildly", "moderate", "large", "minimal", "trace", "tiny"))
"""A chunk after a comma that starts with one of these states a finding of its own ("no
pneumothorax, small left effusion"), unless a conjunction makes the run a list."""
_LIST_ITEM_WORDS = 6
_OWN_PREDICATES = frozenset((
    "place", "position", "positioned", "unchanged", "stable", "terminates", "tip", "courses",
    "extends", "ends", "projects", "overlies", "remains", "persists", "again", "in"))
"""After the mention, words that give its chunk a predicate of its own ("chest tube in
place"); "are identified" and the like are read with the negation ("no acute, displaced
fractures are identified")."""


def _list_before_post_cue(text: str, start: int, right: int) -> bool:
    """Is ``text[start:right]``, from the start of the sentence to a post cue, a list?

    "Consolidation, atelectasis, and effusion have cleared": three or more items, a
    conjunction in the last one, and every item a short noun phrase with no verb. Two items
    ("pneumothorax, and the effusion has resolved") are read as two clauses.
    """
    chunks = text[start:right].split(",")
    if len(chunks) < 3 or _LIST_CONJUNCTION.search(chunks[-1]) is None:
        return False
    for chunk in chunks:
        words = [word.lower() for word in _WORD.findall(chunk)]
        if _CLAUSE_WORDS.intersection(words) or (chunk is not chunks[-1]
                                                  and len(words) > _LIST_ITEM_WORDS):
            return False
    return True


def _in_list(text: str, left: int, right: int, clause_end: int) -> bool:
    """Does a comma between ``left`` and ``right`` separate items of one list?

    It does when "or", "nor", "and" or a slash joins the list from ``left`` to the end of the
    sentence ("no effusion, consolidation, or pneumothorax"), or when every chunk from the cue
    to the end of the mention's chunk is a short noun phrase with no verb ("negative for
    consolidation, effusion, pneumothorax"; "no acute, displaced rib fractures").
    """
    if _LIST_CONJUNCTION.search(text, left, clause_end) is not None:
        return True
    tail = text.find(",", right, clause_end)
    after = [word.lower() for word in _WORD.findall(text, right, clause_end if tail < 0 else tail)]
    if _OWN_PREDICATES.intersection(after):
        return False
    chunks = text[left:right].split(",")
    for number, chunk in enumerate(chunks):
        words = [word.lower() for word in _WORD.findall(chunk)]
        if len(words) > _LIST_ITEM_WORDS or _CLAUSE_WORDS.intersection(words):
            return False
        if number and words and words[0] in _ITEM_BREAKERS:
            return False
    return True


class _Mention:
    """One mention being read (a plain class: built once per mention, on the hot path)."""

    __slots__ = ("end", "scope", "sentence", "spans", "start")

    def __init__(self, sentence: SentenceContext, start: int, end: int,
                 spans: dict[str, list[tuple[int, int]]], scope: int) -> None:
        self.sentence = sentence
        self.start = start
        self.end = end
        self.spans = spans
        self.scope = scope

    def terminated(self, left: int, right: int) -> bool:
        """Is a termination word wholly inside [left, right]?"""
        return any(left <= t_start and t_end <= right for t_start, t_end in self.spans[
            "termination"])

    def distance(self, left: int, right: int, scope: int, *, pre: bool) -> int:
        """Words from ``left`` to ``right`` if a cue there reaches the mention, else none."""
        if self.terminated(left, right):
            return _NONE
        text = self.sentence.text
        if text.find(",", left, right) >= 0:
            if _COMMA_WITH.search(text, left, right) or not (
                    _in_list(text, left, right, self.sentence.end) if pre
                    else _list_before_post_cue(text, self.sentence.start, right)):
                return _NONE
            scope = int(scope * _LIST_SCOPE_FACTOR)
        elif pre and _OR.search(text, left, right):
            scope = int(scope * _LIST_SCOPE_FACTOR)
        words = self.sentence.token_index(right) - self.sentence.token_index(left)
        return words if words <= scope else _NONE

    def before(self, name: str, scope: int) -> int:
        # cue spans are sorted and disjoint: the last one ending before the mention is nearest
        cue_spans = self.spans[name]
        index = bisect.bisect_right(cue_spans, (self.start, self.start)) - 1
        while index >= 0 and cue_spans[index][1] > self.start:
            index -= 1  # overlaps the mention itself
        if index < 0:
            return _NONE
        return self.distance(cue_spans[index][1], self.start, scope, pre=True)

    def negates_hedge(self, scope: int) -> bool:
        """Does a negation before the mention reach it across a hedge?

        "no findings suggestive of pneumonia", "no opacity to suggest pneumonia": the hedge is
        inside the negation's scope and is denied with it. A comma between stops it unless
        the negation runs through a list closed by "or" before the hedge ("no effusion,
        pneumothorax or consolidation to suggest pneumonia"; not "no effusion, findings suggest
        pneumonia").
        """
        negations = self.spans["negation_pre"]
        index = bisect.bisect_right(negations, (self.start, self.start)) - 1
        if index < 0 or negations[index][1] > self.start:
            return False
        negation_end = negations[index][1]
        text = self.sentence.text
        comma = text.rfind(",", negation_end, self.start)
        if (comma >= 0 and _OR.search(text, comma, self.start) is None) or text.find(
                "(", negation_end, self.start) >= 0:
            return False  # a new clause, or an aside in parentheses
        hedged = any(negation_end <= c_start and c_end <= self.start
                     for name in _HEDGES_PRE for c_start, c_end in self.spans[name])
        return hedged and self.distance(negation_end, self.start, scope, pre=True) != _NONE

    def after(self, name: str, scope: int) -> int:
        cue_spans = self.spans[name]
        index = bisect.bisect_left(cue_spans, (self.end, self.end))
        if index >= len(cue_spans):
            return _NONE
        return self.distance(self.end, cue_spans[index][0], scope, pre=False)

    def inside(self, *names: str) -> int:
        """0 when a cue stands inside the mention (in the gap of "heart * enlarged")."""
        for name in names:
            cue_spans = self.spans[name]
            index = bisect.bisect_left(cue_spans, (self.start, self.start))
            if index < len(cue_spans) and cue_spans[index][1] <= self.end:
                return 0
        return _NONE

    def hedged_versus(self, scope: int) -> int:
        """Words from a "versus" before the mention, if a low-probability hedge reaches that
        "versus" ("may be A versus B": the hedge covers the whole differential)."""
        cue_spans = self.spans["bidirectional"]
        index = bisect.bisect_right(cue_spans, (self.start, self.start)) - 1
        if index < 0 or cue_spans[index][1] > self.start:
            return _NONE
        versus_start, versus_end = cue_spans[index]
        words = self.distance(versus_end, self.start, _BIDIRECTIONAL_SCOPE, pre=True)
        if words == _NONE:
            return _NONE
        hedge = _Mention(self.sentence, versus_start, versus_end, self.spans, scope)
        return words if hedge.before("uncertainty_pre", scope) != _NONE else _NONE

    def versus_after(self) -> int:
        """"versus" after the mention, unless a hedge or a comma stands between them."""
        cue_spans = self.spans["bidirectional"]
        index = bisect.bisect_left(cue_spans, (self.end, self.end))
        if index >= len(cue_spans):
            return _NONE
        versus = cue_spans[index][0]
        if self.sentence.text.find(",", self.end, versus) >= 0 or any(
                self.end <= c_start < versus for name in _HEDGES_PRE
                for c_start, _ in self.spans[name]):
            return _NONE
        return self.distance(self.end, versus, _BIDIRECTIONAL_SCOPE, pre=False)


def _bare_differential(mention: _Mention, findings: re.Pattern[str] | None) -> bool:
    """Is the mention one side of a differential with no hedge word?

    "X or Y" is one whatever Y is ("pneumonia or aspiration"); "X/Y" only when both sides are
    findings ("atelectasis/consolidation", not "NG/OG tube").
    """
    sentence, text = mention.sentence, mention.sentence.text
    if _OR_AFTER.match(text, mention.end, sentence.end):
        return True
    window = max(sentence.start, mention.start - 8)
    if _OR_BEFORE.search(text, window, mention.start):
        return True
    starts, ends = sentence.finding_edges(findings)
    after = _SLASH_AFTER.match(text, mention.end, sentence.end)
    if after is not None and after.end() in starts:
        return True
    before = _SLASH_BEFORE.search(text, window, mention.start)
    return before is not None and before.start() in ends


def mention_state(
    sentence: SentenceContext, start: int, end: int, *, cues: CompiledCues, hedges: Hedges,
    findings: re.Pattern[str] | None = None, base: State = State.PRESENT,
) -> State:
    """The state of the mention ``[start, end)``: the nearest cue in scope decides.

    ``base`` is the state without any cue (uncertain for a phrase that carries it);
    ``findings`` matches every label's mentions, for bare differentials.
    """
    spans = sentence.cue_spans(cues)
    mention = _Mention(sentence, start, end, spans, cues.scope_tokens)
    if not any(spans[name] for name in _CUE_NAMES):  # no cue: only a bare differential
        if base is State.PRESENT and _bare_differential(mention, findings):
            return State(hedges.probable)
        return base
    scope = cues.scope_tokens
    low = min(mention.inside("uncertainty_pre", "uncertainty_post"),
              mention.before("uncertainty_pre", scope), mention.after("uncertainty_post", scope),
              mention.hedged_versus(scope))
    possible = min(low, mention.before("bidirectional", _BIDIRECTIONAL_SCOPE),
                   mention.versus_after())
    probable = min(mention.inside("probable_pre", "probable_post"),
                   mention.before("probable_pre", scope), mention.after("probable_post", scope))
    negation = min(mention.inside("negation_pre", "negation_post"),
                   mention.before("negation_pre", scope), mention.after("negation_post", scope))
    nearest = min(possible, probable, negation)
    if nearest == _NONE:
        if base is State.PRESENT and _bare_differential(mention, findings):
            return State(hedges.probable)
        return base
    if nearest != negation and negation != _NONE and mention.negates_hedge(scope):
        return State.ABSENT
    if possible == nearest:
        # a differential ("versus") with no low-probability word names what was seen, one of
        # two readings: a high-probability hedge ("may represent A versus B" stays low)
        strength = hedges.possible if low != _NONE else hedges.probable
        return State(strength) if base is State.PRESENT else base
    if probable == nearest:
        return State(hedges.probable) if base is State.PRESENT else base
    return State.ABSENT
