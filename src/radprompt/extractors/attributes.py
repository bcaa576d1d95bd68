"""Attributes of one finding read from the sentence that mentions it: side, severity, size,
location, temporal change, and for devices their type and tip position.

Radiologists write a finding's modifiers next to it ("small left pleural effusion", "effusion
on the right, increased since the prior") and often put the location in the clause that an
interpretation hangs from ("opacity in the right lower lobe, likely pneumonia"). So each
attribute is read from the *segment* around the mention (the words between commas, "and",
"with", ...), the nearest match winning; where the segment has none and the mention is an
interpretation of what came before ("likely", "may represent", "consistent with"), the segment
before it is read too. Everything is a precompiled regular expression; a sentence is scanned
once however many findings it carries.

Example::

    >>> a = extract_attributes(sentence="Small left pleural effusion, increased.",
    ...                        mention_start=11, mention_end=27)
    >>> a.laterality, a.severity, a.temporal
    ('left', 'small', 'increased')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from radprompt.findings import Attributes

__all__ = ["DESCRIPTORS", "clear_memory", "extract_attributes"]

_I = re.IGNORECASE


def _words(*alternatives: str) -> str:
    return "(?:" + "|".join(alternatives) + ")"


_LATERALITY = re.compile(
    r"(?<!\w)(?P<bilateral>bilateral(?:ly)?|both(?:\s+(?:lungs?|sides?|bases|apices|hemithora\w*))?"
    r"|bi-?(?:basilar|basal|apical|hilar)|(?:left|right)\s+(?:and|&)\s+(?:left|right))"
    r"|(?P<left>left(?:-sided)?|(?<![\w-])lt\.?(?=\s))|(?P<right>right(?:-sided)?"
    r"|(?<![\w-])rt\.?(?=\s))(?!\w)",
    _I,
)

_SEVERITY_WORDS = {
    "trace": "trace", "tiny": "tiny", "minimal": "minimal", "minimally": "minimal",
    "minor": "minimal", "small": "small", "smaller": None, "mild": "mild", "mildly": "mild",
    "slight": "mild", "slightly": "mild", "borderline": "minimal", "moderate": "moderate",
    "moderately": "moderate", "large": "large", "extensive": "large", "sizable": "large",
    "sizeable": "large", "severe": "severe", "severely": "severe", "marked": "severe",
    "markedly": "severe", "massive": "massive", "significant": "moderate",
}
_SEVERITY = re.compile(
    r"(?<![\w-])(?:(?P<low>trace|tiny|minimal|small|mild|moderate|large)(?:\s+to\s+|-to-|\s*-\s*)"
    r"(?P<high>small|mild|moderate|large|severe|marked))(?!\w)"
    r"|(?<![\w-])(?P<one>" + "|".join(w for w, v in _SEVERITY_WORDS.items() if v) + r")(?!\w)",
    _I,
)

_UNIT = r"(?:mm|cm|millimet(?:er|re)s?|centimet(?:er|re)s?)"
_NUMBER = r"\d+(?:\.\d+)?"
_SIZE = re.compile(
    rf"(?<![\w.]){_NUMBER}(?:\s*{_UNIT})?(?:\s*(?:x|by|\u00d7)\s*{_NUMBER}(?:\s*{_UNIT})?)*\s*{_UNIT}"
    r"(?!\w)(?!\s+(?:above|below|from|proximal|distal|beyond|superior|inferior|into|past|"
    r"cephalad|caudal|to\s+the)\b)",
    _I,
)

_LOBE_ABBREVIATIONS = {"rul": "right upper lobe", "rml": "right middle lobe",
                       "rll": "right lower lobe", "lul": "left upper lobe",
                       "lll": "left lower lobe"}
_SIDE = r"(?:(?:left|right|bilateral)\s+)?"
_LOCATION = re.compile(
    r"(?<!\w)(?:"
    rf"{_SIDE}(?:upper|middle|lower)\s+lobes?|(?:RUL|RML|RLL|LUL|LLL)"
    rf"|{_SIDE}lingula(?:r)?|{_SIDE}(?:upper|mid|middle|lower)(?:\s+to\s+(?:mid|lower|upper))?"
    r"(?:\s+lungs?)?\s+(?:zones?|fields?)"
    rf"|{_SIDE}(?:lung\s+|hemithorax\s+)?(?:bases|base|apex|apices)"
    r"|(?:bi)?(?:apical|basilar|basal)|retrocardiac|perihilar|parahilar|(?:bi)?hilar"
    rf"|{_SIDE}costophrenic\s+(?:angles?|sulcus|sulci)|subpulmonic|paratracheal"
    r"|(?:right|left)\s+(?:heart|cardiac)\s+border|(?:right|left)\s+hemithorax"
    r"|(?:right|left)\s+(?:mid|upper|lower)?\s*lung|(?:peripheral|central|paramediastinal"
    r"|infrahilar|suprahilar|subpleural)(?=\s)"
    r"|(?:posterior|lateral|anterior)\s+(?:ribs?|segments?|costophrenic\s+angles?)"
    r"|(?:left|right)\s+(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|fifth|sixth|seventh"
    r"|eighth|ninth|tenth|eleventh)\s+(?:posterior\s+|lateral\s+|anterior\s+)?ribs?"
    r")(?!\w)",
    _I,
)

DESCRIPTORS = (_LATERALITY, _SEVERITY, _SIZE, _LOCATION)
"""The words that say where or how much of a finding: side, severity, size, place."""

_TEMPORAL_WORDS = {
    "new": "new", "newly": "new", "developing": "new", "interval development": "new",
    "increased": "increased", "increasing": "increased", "increase": "increased",
    "enlarging": "increased", "enlarged since": "increased", "larger": "increased",
    "decreased": "decreased", "decreasing": "decreased", "decrease": "decreased",
    "smaller": "decreased", "diminished": "decreased", "reduced": "decreased",
    "unchanged": "unchanged", "stable": "unchanged", "no change": "unchanged",
    "no significant change": "unchanged", "no interval change": "unchanged",
    "persistent": "unchanged", "persists": "unchanged", "again seen": "unchanged",
    "again noted": "unchanged", "redemonstrated": "unchanged", "re-demonstrated": "unchanged",
    "similar": "unchanged", "unchanged since": "unchanged",
    "resolved": "resolved", "resolving": "improved", "resolution": "resolved",
    "cleared": "resolved", "improved": "improved", "improving": "improved",
    "improvement": "improved", "worsened": "worsened", "worsening": "worsened",
    "worse": "worsened", "progressed": "worsened", "progression": "worsened",
}
_TEMPORAL = re.compile(
    r"(?<![\w-])(?:"
    + "|".join(re.escape(w).replace(r"\ ", r"\s+")
               for w in sorted(_TEMPORAL_WORDS, key=len, reverse=True))
    + r")(?!\w)",
    _I,
)

_DEVICES = (
    ("endotracheal tube", r"endotracheal\s+tubes?|et\s*tubes?|ett|ett\s+tube|intubat\w*"),
    ("tracheostomy tube", r"tracheostomy(?:\s+tubes?)?|trach\s+tubes?"),
    ("nasogastric tube", r"naso-?gastric\s+tubes?|ng\s*tubes?|ngt|oro-?gastric\s+tubes?"
                         r"|og\s*tubes?|enteric\s+tubes?|feeding\s+tubes?|dobhoff\w*"),
    ("picc", r"picc(?:\s+lines?)?|peripherally\s+inserted\s+central\s+(?:venous\s+)?catheters?"),
    ("pulmonary artery catheter", r"swan[\s-]*ganz(?:\s+catheters?)?|pulmonary\s+artery\s+"
                                  r"catheters?"),
    ("central venous catheter", r"central\s+(?:venous\s+)?(?:catheters?|lines?)|cvc"
                                r"|(?:internal\s+jugular|ij|subclavian)\s+(?:venous\s+)?"
                                r"(?:catheters?|lines?)|dialysis\s+catheters?"),
    ("chest tube", r"chest\s+tubes?|pleural\s+(?:drains?|catheters?|tubes?)|pigtail"
                   r"(?:\s+catheters?)?|thoracostomy\s+tubes?"),
    ("defibrillator", r"(?:aicd|icd|(?:cardiac\s+)?defibrillators?)"),
    ("pacemaker", r"pacemakers?|pacer(?:\s+wires?)?|pacing\s+(?:wires?|leads?)"),
    ("intra-aortic balloon pump", r"intra-?aortic\s+balloon(?:\s+pump)?|iabp"),
    ("sternotomy wires", r"(?:median\s+)?sternotomy(?:\s+wires?)?|sternal\s+wires?"),
    ("port", r"port-?a-?cath|mediport|(?:chest|infusion|venous|power)\s+port"),
    ("surgical clips", r"surgical\s+clips?|clips?"),
    ("stent", r"stents?"),
    ("prosthetic valve", r"(?:prosthetic|mechanical)\s+(?:\w+\s+)?valves?|valve\s+replacement"),
    ("loop recorder", r"loop\s+recorder"),
)
_DEVICE = re.compile(  # one lookbehind for all: sixteen of them cost five times as much
    r"(?<!\w)(?:" + "|".join(rf"(?P<d{i}>{pattern})" for i, (_, pattern) in enumerate(_DEVICES))
    + r")(?!\w)",
    _I,
)

_LANDMARK = _words(
    r"carina", r"cavo-?atrial\s+junction", r"superior\s+vena\s+cava", r"svc", r"right\s+atrium",
    r"atri(?:um|al)", r"stomach", r"gastric\s+(?:fundus|body|antrum)", r"fundus", r"esophagus",
    r"oesophagus", r"gastroesophageal\s+junction", r"ge\s+junction", r"duodenum",
    r"thoracic\s+inlet", r"clavicular\s+heads?", r"clavicles?", r"brachiocephalic\s+vein",
    r"subclavian\s+vein", r"(?:internal\s+)?jugular\s+vein", r"right\s+ventricle", r"ventricle",
    r"pulmonary\s+artery", r"hypopharynx", r"(?:(?:right|left)\s+)?main(?:\s*stem)?\s+bronchus",
    r"bronchus", r"trachea", r"neck", r"mediastinum", r"abdomen", r"azygos\s+vein",
)
_TIP = re.compile(
    r"(?<!\w)(?:"
    rf"(?:{_NUMBER}\s*{_UNIT}\s+(?:above|below|from|proximal\s+to|distal\s+to|beyond|"
    r"superior\s+to|inferior\s+to)"
    r"|(?:at|in|within|into|over|near|to|above|below|beyond|projects?\s+over|overlying)"
    r"(?:\s+the)?(?:\s+(?:level|region|expected\s+location)\s+of)?)"
    r"\s+(?:the\s+)?(?:(?:mid|upper|lower|distal|proximal|expected|junction\s+of\s+the)\s+)*"
    rf"{_LANDMARK}"
    r"|(?:in\s+)?(?:good|satisfactory|standard|appropriate|expected|adequate|acceptable|proper"
    r"|unchanged|stable|similar|unchanged)\s+(?:position|location|placement)"
    r"|(?:appropriately|well|satisfactorily|adequately)\s+(?:positioned|placed|sited)"
    r"|mal-?position(?:ed)?|mis-?position(?:ed)?|misplaced|(?:coiled|kinked|looped)(?:\s+in\s+the\s+\w+)?"
    r"|(?:too\s+)?(?:high|low|deep|shallow)\s+(?:in\s+position|positioned)"
    r")(?!\w)",
    _I,
)

# A segment ends at punctuation or a word that starts a new clause about another finding.
_BOUNDARY = re.compile(
    r"[,;:()]|\s-\s|(?<!\w)(?:and|with|but|however|while|whereas|although|though|plus|also|as\s+well"
    r"\s+as|which|that|without|no|otherwise)(?!\w)",
    _I,
)
# A clause ends here for good: nothing on the far side describes the mention.
_HARD_BOUNDARY = re.compile(r"[;:]|(?<!\w)(?:but|however|whereas|while|although)(?!\w)", _I)
# The mention interprets what the previous segment described ("..., likely atelectasis").
_INTERPRETIVE = re.compile(
    r"(?<!\w)(?:likely|probably|possibly|possible|may|might|could|can|consistent|compatible"
    r"|suggest\w*|concerning|worrisome|suspicious|representing|reflect\w*|which|due|from"
    r"|secondary|related|presumably|presumed|favou?r\w*|represent\w*|suspect\w*|question"
    r"|versus|vs|or)(?!\w)",
    _I,
)

_Span = tuple[int, int, str]


@dataclass(frozen=True, slots=True)
class _Scan:
    """Every attribute match of one sentence, with the sentence's segment boundaries."""

    boundaries: tuple[tuple[int, int], ...]
    hard: tuple[int, ...]
    found: dict[str, tuple[_Span, ...]]


# Words one of which a sentence must contain for a pattern to be worth running (substring
# tests cost far less than the full pattern's scan); a superset is harmless.
_HINTS = {
    "laterality": ("left", "right", "bilat", "both", "bibas", "biapi", "bihil", "lt", "rt"),
    "severity": ("trace", "tiny", "minim", "minor", "small", "mild", "slight", "borderline",
                 "moderat", "large", "extensive", "sizable", "sizeable", "sever", "mark",
                 "massive", "significant"),
    "size": ("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
    "location": ("lobe", "rul", "rml", "rll", "lul", "lll", "lingul", "zone", "field", "bas",
                 "apex", "apic", "retrocardiac", "hilar", "costophrenic", "subpulmonic",
                 "paratracheal", "border", "hemithorax", "lung", "peripheral", "central",
                 "subpleural", "rib", "segment"),
    "temporal": ("new", "increas", "enlarg", "larger", "decreas", "smaller", "diminish",
                 "reduc", "unchanged", "stable", "change", "persist", "again", "demonstrat",
                 "similar", "resol", "clear", "improv", "worse", "progress", "develop"),
    "device_type": ("tube", "ett", "trach", "ngt", "dobhoff", "picc", "cath", "line", "cvc",
                    "swan", "pigtail", "icd", "defib", "pace", "lead", "intra-aortic",
                    "intraaortic", "iabp", "sternotomy", "sternal", "port", "clip", "stent",
                    "valve", "recorder", "intubat"),
}


_HINT_PATTERNS = {name: re.compile("|".join(map(re.escape, hints)))
                  for name, hints in _HINTS.items()}


def _matches(name: str, pattern: re.Pattern[str], sentence: str, lowered: str
             ) -> list[re.Match[str]]:
    if _HINT_PATTERNS[name].search(lowered) is None:
        return []
    return list(pattern.finditer(sentence))


@lru_cache(maxsize=4096)
def _scan(sentence: str) -> _Scan:
    lowered = sentence.lower()
    lateral = _matches("laterality", _LATERALITY, sentence, lowered)
    severe = _matches("severity", _SEVERITY, sentence, lowered)
    place = _matches("location", _LOCATION, sentence, lowered)
    devices = _matches("device_type", _DEVICE, sentence, lowered)
    found: dict[str, tuple[_Span, ...]] = {
        "laterality": tuple((m.start(), m.end(), str(m.lastgroup)) for m in lateral),
        "severity": tuple((m.start(), m.end(), _severity(m)) for m in severe),
        "size": tuple((m.start(), m.end(), _clean(m.group()))
                      for m in _matches("size", _SIZE, sentence, lowered)),
        "location": tuple((m.start(), m.end(), _location(m.group())) for m in place),
        "temporal": tuple((m.start(), m.end(), _TEMPORAL_WORDS[_clean(m.group())])
                          for m in _matches("temporal", _TEMPORAL, sentence, lowered)),
        "device_type": tuple((m.start(), m.end(), _DEVICES[int(str(m.lastgroup)[1:])][0])
                             for m in devices),
        "tip_position": tuple((m.start(), m.end(), _clean(m.group()))
                              for m in (_TIP.finditer(sentence) if devices else ())),
    }
    covered = [m.span() for m in (*lateral, *place, *severe)]
    boundaries = tuple(m.span() for m in _BOUNDARY.finditer(sentence)
                       if not covered or not any(s <= m.start() and m.end() <= e
                                                 for s, e in covered))
    hard = tuple(m.start() for m in _HARD_BOUNDARY.finditer(sentence))
    return _Scan(boundaries=boundaries, hard=hard, found=found)


def clear_memory() -> None:
    """Forget the sentences scanned so far (a benchmark's cold reading)."""
    _scan.cache_clear()


def _clean(text: str) -> str:
    return " ".join(text.lower().split())


def _severity(match: re.Match[str]) -> str:
    if match.group("high"):
        return str(_SEVERITY_WORDS.get(match.group("high").lower()) or "moderate")
    return str(_SEVERITY_WORDS[match.group("one").lower()])


def _location(text: str) -> str:
    cleaned = _clean(text)
    return _LOBE_ABBREVIATIONS.get(cleaned, cleaned)


def _segment(scan: _Scan, start: int, end: int, length: int) -> tuple[int, int]:
    """The words around [start, end) up to the nearest boundary on each side."""
    left, right = 0, length
    for b_start, b_end in scan.boundaries:
        if b_end <= start:
            left = b_end
        elif b_start >= end:
            right = b_start
            break
    return left, right


def _previous_segment(scan: _Scan, left: int) -> tuple[int, int] | None:
    """The segment that ends where [left, ...) begins, unless a hard boundary lies between."""
    before = [(s, e) for s, e in scan.boundaries if e <= left]
    if not before:
        return None
    b_start, _ = before[-1]
    if any(b_start <= h < left for h in scan.hard):
        return None
    p_left = before[-2][1] if len(before) > 1 else 0
    return p_left, b_start


_TRAILING_BEFORE = re.compile(
    r"\s*(?:(?:which|that|is|are|has|have|been|now|slightly|mildly|markedly|overall|also"
    r"|not|significantly)\s+)*", _I)
_TRAILING_AFTER = re.compile(
    r"\s*(?:[.!?]|$|(?:since|from|compared|relative|when|to|in|over|versus|prior|allowing"
    r"|on)(?!\w))", _I)


def _trailing_temporal(scan: _Scan, right: int, sentence: str) -> str | None:
    """A change word standing alone after the comma that ends the mention's segment
    ("effusion, unchanged from prior"), not one that starts a new finding ("..., new
    effusion")."""
    if right >= len(sentence) or sentence[right] != ",":
        return None
    for start, end, value in scan.found["temporal"]:
        if start > right:
            gap = _TRAILING_BEFORE.match(sentence, right + 1)
            if gap is None or gap.end() != start:
                return None
            return value if _TRAILING_AFTER.match(sentence, end) else None
    return None


def _device_reach(scan: _Scan, window: tuple[int, int], sentence: str) -> tuple[int, int]:
    """From the segment's start to the next device mentioned after it, within the clause."""
    end = next((h for h in scan.hard if h >= window[1]), len(sentence))
    for s, _, _ in scan.found["device_type"]:
        if window[1] <= s < end:
            return window[0], s
    return window[0], end


def _nearest(spans: tuple[_Span, ...], start: int, end: int, window: tuple[int, int]
             ) -> str | None:
    best: tuple[int, str] | None = None
    for s, e, value in spans:
        if s < window[0] or e > window[1]:
            continue
        if s < end and e > start:
            distance = 0  # inside the mention ("left pleural effusion" as a whole phrase)
        else:
            # modifiers usually precede their noun: a word after the mention counts a bit farther
            distance = start - e if e <= start else (s - end) + 2
        if best is None or distance < best[0]:
            best = (distance, value)
    return None if best is None else best[1]


def extract_attributes(*, sentence: str, mention_start: int, mention_end: int) -> Attributes:
    """The attributes the sentence gives the finding mentioned at ``[mention_start,
    mention_end)``; ``Attributes()`` when it gives none.

    >>> extract_attributes(sentence="ET tube tip 4 cm above the carina.",
    ...                    mention_start=0, mention_end=7).tip_position
    '4 cm above the carina'
    """
    scan = _scan(sentence)
    window = _segment(scan, mention_start, mention_end, len(sentence))
    values = {name: _nearest(spans, mention_start, mention_end, window)
              for name, spans in scan.found.items()}
    if values["temporal"] is None:  # "small left effusion, unchanged from prior"
        values["temporal"] = _trailing_temporal(scan, window[1], sentence)
    if values["tip_position"] is None and values["device_type"] is not None:
        # "tube courses below the diaphragm with tip in the stomach": up to the next device
        values["tip_position"] = _nearest(scan.found["tip_position"], mention_start,
                                          mention_end, _device_reach(scan, window, sentence))
    if _INTERPRETIVE.search(sentence, max(0, window[0] - 25), mention_start) is not None:
        previous = _previous_segment(scan, window[0])
        if previous is not None:
            for name in ("laterality", "location", "severity", "size"):
                if values[name] is None:
                    values[name] = _nearest(scan.found[name], mention_start, mention_end,
                                            previous)
    if not any(values.values()):
        return _NONE
    return _finish(values)


def _finish(values: dict[str, str | None]) -> Attributes:
    location = values["location"]
    if values["laterality"] is None and location:
        for side in ("bilateral", "left", "right"):
            if location.startswith(side):
                values["laterality"] = side
        if location.startswith("bi") and values["laterality"] is None:
            values["laterality"] = "bilateral"
    return Attributes(**values)


_NONE = Attributes()
