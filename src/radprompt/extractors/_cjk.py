"""Reading rules for reports written without spaces between words (Chinese).

- **Sentences** end at 。；！？ (and their ASCII forms), at a full stop that is not a decimal
  point, and at every line break; list numbers ("1." "2、" "（3）") and section headers at the
  start of a line ("影像所见：", "诊断意见：") are left out of every sentence.
- **Matching** has no word boundaries: a phrase matches wherever its characters stand
  ("胸腔积液" inside "左侧胸腔积液"), except that a Latin abbreviation must not touch other Latin
  letters ("PICC", not "PICCS"). A ``*`` in a phrase stands for up to eight characters with no
  punctuation but the enumeration comma 、 ("心影 * 增大" finds "心影明显增大").
- **Scope.** A cue reaches a mention only inside its clause: the stretch between clause
  punctuation (，；：。 and their ASCII forms) and contrast words (the ``termination`` cues:
  但, 但是, 然而 ...), at most ``scope_tokens`` characters away. The enumeration comma 、 and
  及 / 和 join items of one clause, so "未见实变、胸腔积液及气胸" negates all three (a list,
  however long, counts as its first item), while "未见气胸，左侧胸腔积液" leaves the effusion
  present. A post cue past another item reaches it only when it closes the list ("气胸、胸腔
  积液可能"; in "无实变、可疑的阴影" 可疑 is the next item's).
- **Which cue decides.** Pre cues ("未见", "考虑") stand before the mention, post cues after it
  ("可能", "不除外", "已拔除"); the nearest cue in scope decides, a low-probability hedge winning a
  tie ("考虑肺炎可能": uncertain). A cue inside the gap of a ``*`` phrase decides outright
  ("心影未见增大"), and so does a pre cue that starts in the gap and ends with the phrase
  ("心脏不扩大": the negation 不扩大). A ``pseudo`` cue covers words that contain a cue but
  deny nothing ("较前无明显变化"), unless it is led by 无, opens its clause and goes on to a list
  ("无移位性肋骨骨折、气胸或胸腔积液": all absent). "A或B" with no hedge word is a differential:
  uncertain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from radprompt.extractors._phrases import GAP, _trie_pattern
from radprompt.extractors.segment import Sentence
from radprompt.findings import State
from radprompt.labelset import Cues, Hedges

__all__ = ["CJKCues", "cjk_mention_state", "cjk_sentences", "compile_cjk_phrases"]

GAP_CHARS = 8
_ATOMS = {" ": r"\s*", GAP: rf"[^\s，,。；;：:！？!?（）()]{{0,{GAP_CHARS}}}"}
_BOUNDARY = re.compile(
    r"""
      (?P<header>(?:^|(?<=[\n。]))[ \t]*
                 (?:[^\s\d：:。；，,、.()（）]{2,10}|[A-Za-z][A-Za-z /&]{1,30})[ \t]*[：:])
    | (?P<number>(?:^|(?<=[\s。；;：:！？!?]))[ \t]*[（(]?\d{1,2}[.、．)）](?!\d))
    | (?P<stop>[。；！？;!?]+|(?<!\d)\.|\.(?!\d))
    | (?P<newline>\n)
    """,
    re.VERBOSE | re.MULTILINE,
)
CLAUSE_MARKS = frozenset("，,；;：:。\n")
"""Punctuation that ends a clause, and with it every cue's scope."""
_DIFFERENTIAL = "或"
_LIST_COMMAS = "，,"
_LIST_JOINS = ("或", "及", "和", "与")
_ITEM_MARKS = "、，," + "".join(_LIST_JOINS)
_LIST_ITEM_CHARS = 12
_LIST_MAX_ITEMS = 4
_ITEM_BREAKERS = ("左", "右", "双", "两", "少量", "中等", "大量", "轻度", "中度", "重度", "新",
                  "另", "但")
"""An item after a comma that starts with a side or an amount states a finding of its own."""
_CLAUSE_WORDS = ("见", "示", "为", "呈", "位于", "在位", "较前", "同前", "稳定", "增大", "增宽",
                 "增多", "增粗", "减少", "吸收", "消失", "正常", "清晰", "锐利", "居中", "术后")
"""Words that make a comma-separated chunk a clause of its own, not an item of a list."""
_NONE = 10**9
_KINDS = ("pseudo", "termination", "uncertainty_pre", "uncertainty_post",
          "bidirectional_uncertainty", "negation_pre", "negation_post", "probable_pre",
          "probable_post")
_CATEGORY = {"uncertainty": "possible", "bidirectional": "possible", "negation": "negation",
             "probable": "probable"}
_TIE_ORDER = ("possible", "negation", "probable")


def cjk_sentences(text: str) -> tuple[Sentence, ...]:
    """Every sentence of a Chinese report with its offsets and the section it falls under."""
    found: list[Sentence] = []
    start = 0
    section = ""
    for match in _BOUNDARY.finditer(text):
        end = match.end() if match.lastgroup == "stop" else match.start()
        _append(found, text, start, end, section)
        if match.lastgroup == "header":
            section = " ".join(match.group("header").strip().rstrip("：:").lower().split())
        start = match.end()
    _append(found, text, start, len(text), section)
    return tuple(found)


def _append(found: list[Sentence], text: str, start: int, end: int, section: str) -> None:
    while start < end and (text[start].isspace() or text[start] in "-*\u2022"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        found.append(Sentence(start, end, section))


def compile_cjk_phrases(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for ``phrases`` matched without word boundaries; ``None`` if empty."""
    unique = frozenset(" ".join(p.lower().split()) for p in phrases if p.strip())
    return _compile(unique) if unique else None


@lru_cache(maxsize=1024)
def _compile(phrases: frozenset[str]) -> re.Pattern[str]:
    body = _trie_pattern(phrases, atoms=_ATOMS)
    # a Latin letter at either end of a match must not touch another ("PICC", not "PICCS");
    # CJK characters may touch anything ("PICC已拔除")
    return re.compile(rf"(?:(?<![A-Za-z])|(?![A-Za-z]))(?:{body})(?:(?<![A-Za-z])|(?![A-Za-z]))",
                      re.IGNORECASE)


@dataclass(frozen=True)
class CJKCues:
    """A labelset's cues of one CJK language, found in one pass and sorted by kind."""

    any_cue: re.Pattern[str] | None
    kinds: tuple[tuple[str, re.Pattern[str]], ...]
    scope: int

    @classmethod
    def build(cls, cues: Cues) -> CJKCues:
        lists = {kind: getattr(cues, kind) for kind in _KINDS}
        kinds = tuple((kind, pattern) for kind, phrases in lists.items()
                      if (pattern := compile_cjk_phrases(phrases)) is not None)
        every = compile_cjk_phrases(p for phrases in lists.values() for p in phrases)
        return cls(any_cue=every, kinds=kinds, scope=cues.scope_tokens)

    def find(self, text: str, start: int, end: int) -> list[tuple[int, int, frozenset[str]]]:
        """Every cue in ``text[start:end]``: its span and kinds (longest match wins)."""
        if self.any_cue is None:
            return []
        found = []
        for match in self.any_cue.finditer(text, start, end):
            kinds = frozenset(kind for kind, pattern in self.kinds
                              if pattern.fullmatch(text, *match.span()))
            found.append((match.start(), match.end(), kinds))
        return found


def _clause(text: str, start: int, end: int, sentence: tuple[int, int],
            cues: list[tuple[int, int, frozenset[str]]]) -> tuple[int, int]:
    """The clause around ``[start, end)``: punctuation and contrast words bound it."""
    left, right = sentence
    left = _list_left(text, _mark_before(text, start, left), start, sentence)
    for index in range(end, right):
        if text[index] in CLAUSE_MARKS:
            right = index
            break
    for c_start, c_end, kinds in cues:
        if "termination" in kinds and "pseudo" not in kinds:
            if c_end <= start:
                left = max(left, c_end)
            elif c_start >= end:
                right = min(right, c_start)
    return left, right


def _mark_before(text: str, position: int, floor: int) -> int:
    """Just after the last clause mark before ``position`` (``floor`` if there is none)."""
    for index in range(position - 1, floor - 1, -1):
        if text[index] in CLAUSE_MARKS:
            return index + 1
    return floor


def _list_left(text: str, left: int, start: int, sentence: tuple[int, int]) -> int:
    """Move a clause's left edge back over commas that separate the items of one list.

    "无气胸，胸腔积液或局灶性实变": a comma between short noun phrases, in a sentence that joins
    its last item with 或 / 及 / 和 / 与, does not end the negation's clause. An item that
    starts with a side or an amount ("未见气胸，左侧少量胸腔积液") or holds a predicate (见, 为,
    增大, 正常 ...) is a clause of its own.
    """
    if not any(join in text[left:sentence[1]] for join in _LIST_JOINS):
        return left
    chunk_end = next((i for i in range(start, sentence[1]) if text[i] in CLAUSE_MARKS),
                     sentence[1])  # the mention's own item, to its end
    for _ in range(_LIST_MAX_ITEMS):
        if left - 1 <= sentence[0] or text[left - 1] not in _LIST_COMMAS:
            break
        chunk = text[left:chunk_end]
        if (len(chunk) > _LIST_ITEM_CHARS or chunk.startswith(_ITEM_BREAKERS)
                or any(word in chunk for word in _CLAUSE_WORDS)):
            break
        chunk_end = left - 1
        left = _mark_before(text, chunk_end, sentence[0])
    return left


def _post_reaches(text: str, end: int, c_start: int, c_end: int, clause_end: int) -> bool:
    """A post cue past another item of a list ("气胸、胸腔积液可能") speaks of every item only when
    it closes the list; one that opens the next item ("无实变、可疑的肺部阴影") is that item's."""
    if not any(mark in text[end:c_start] for mark in _ITEM_MARKS):
        return True
    return c_end >= clause_end or text[c_end] in _ITEM_MARKS or text[c_end:].startswith(_LIST_JOINS)


def _negates_list(text: str, c_start: int, c_end: int, start: int,
                  clause: tuple[int, int]) -> bool:
    """A pseudo cue led by 无 that opens its clause and goes on to a list negates the list:
    "无移位性肋骨骨折、气胸或胸腔积液" is no displaced fracture, no pneumothorax, no effusion
    (while "右侧第5肋无移位骨折" is a nondisplaced fracture)."""
    return (c_start == clause[0] and text[c_start] == "无" and c_end <= start
            and any(mark in text[c_end:clause[1]] for mark in _ITEM_MARKS))


def _list_reach(text: str, c_end: int, start: int) -> int:
    """How far a pre cue must reach for a mention: over a list only to its first item, so
    "无A、B、C或D" reaches D as it reaches A however long the list."""
    between = text[c_end:start]
    marks = [between.find(mark) for mark in _ITEM_MARKS if mark in between]
    return min(marks, default=len(between))


def _distances(text: str, cues: list[tuple[int, int, frozenset[str]]], start: int, end: int,
               clause: tuple[int, int], *, gap: bool, scope: int) -> dict[tuple[str, str], int]:
    """The nearest cue of each category (possible, probable, negation) and side (pre, post)
    that reaches the mention (``scope`` characters at most, a list's items counted as one)."""
    nearest: dict[tuple[str, str], int] = {}
    for c_start, c_end, kinds in cues:
        if c_start < clause[0] or c_end > clause[1]:
            continue
        if "pseudo" in kinds:
            if not _negates_list(text, c_start, c_end, start, clause):
                continue
            kinds = frozenset({"negation_pre"})
        directions: tuple[str, ...]
        if c_end <= start:
            if _list_reach(text, c_end, start) > scope:
                continue
            directions, distance = ("pre", "uncertainty"), start - c_end
        elif c_start >= end:
            if c_start - end > scope or not _post_reaches(text, end, c_start, c_end, clause[1]):
                continue
            directions, distance = ("post", "uncertainty"), c_start - end
        elif gap and start < c_start and c_end < end:
            directions, distance = ("pre", "post", "uncertainty"), 0
        elif gap and start < c_start and c_end == end:
            # a pre cue fused with the mention's last word: "心脏不扩大" (cue 不扩大)
            directions, distance = ("pre",), 0
        else:
            continue  # the cue's characters belong to the mention itself ("肋膈角消失")
        side = "pre" if c_end <= start else "post"
        for kind in kinds:
            head, _, tail = kind.partition("_")
            if head in _CATEGORY and tail in directions:
                key = (_CATEGORY[head], side)
                nearest[key] = min(nearest.get(key, _NONE), distance)
    return nearest


def cjk_mention_state(
    text: str, sentence: tuple[int, int], start: int, end: int, *, cues: CJKCues,
    found: list[tuple[int, int, frozenset[str]]], hedges: Hedges, base: State = State.PRESENT,
    gap: bool = False,
) -> State:
    """The state of the mention ``[start, end)`` of ``sentence``; ``found`` are the sentence's
    cues (``CJKCues.find``); ``gap`` says the mention matched a ``*`` phrase."""
    clause = _clause(text, start, end, sentence, found)
    reach = _distances(text, found, start, end, clause, gap=gap, scope=cues.scope)
    if not reach:
        if base is State.PRESENT and _differential(text, start, end, clause):
            return State.UNCERTAIN
        return base
    nearest: dict[str, int] = {}
    for (category, _), distance in reach.items():
        nearest[category] = min(nearest.get(category, _NONE), distance)
    closest = min(nearest.values())
    decided = next(c for c in _TIE_ORDER if nearest.get(c) == closest)
    negation = reach.get(("negation", "pre"), _NONE)
    hedge = min(reach.get(("possible", "pre"), _NONE), reach.get(("probable", "pre"), _NONE))
    if decided == "negation" or hedge < negation < _NONE:
        # "未见可疑结节", "未见提示感染的实变": the hedge stands inside the negation's scope
        return State.ABSENT
    if base is not State.PRESENT:
        return base
    return State(hedges.possible if decided == "possible" else hedges.probable)


def _differential(text: str, start: int, end: int, clause: tuple[int, int]) -> bool:
    """"A或B": a mention right before or after 或 is one side of a differential."""
    return (end < clause[1] and text[end] == _DIFFERENTIAL) or (
        start > clause[0] and text[start - 1] == _DIFFERENTIAL)
