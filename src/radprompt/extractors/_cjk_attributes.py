"""Attributes of a finding in a Chinese sentence: side, severity, size, lobe and change.

The Chinese counterpart of ``attributes.extract_attributes`` for the attributes Chinese reports
state in a few characters: read in the mention's clause (the stretch between ，；。), nearest
to the mention first, and given in the same normalised English words as the English reader
(``left``, ``small``, ``right upper lobe``, ``unchanged`` ...), so findings compare across
languages. Device type and tip position are left to the English reader.

Example::

    >>> chinese_attributes("右肺上叶少量实变，较前增多。", 6, 8).to_json()
    {'laterality': 'right', 'severity': 'small', 'location': 'right upper lobe', \
'temporal': 'increased'}
    >>> chinese_attributes("左侧胸腔积液，较前减少。", 2, 6, sentence_end=12).temporal
    'decreased'
"""

from __future__ import annotations

import re

from radprompt.findings import Attributes

__all__ = ["chinese_attributes"]

_CLAUSE = re.compile(r"[，,；;。]")
_SIDES = (("双", "bilateral"), ("两", "bilateral"), ("左", "left"), ("右", "right"))
_SEVERITY = (("微量", "trace"), ("极少量", "trace"), ("少量", "small"), ("少许", "mild"),
             ("中等量", "moderate"), ("中量", "moderate"), ("大量", "large"), ("轻度", "mild"),
             ("轻微", "mild"), ("中度", "moderate"), ("重度", "severe"), ("明显", "severe"))
_SIZE = re.compile(r"\d+(?:\.\d+)?\s*(?:cm|mm|厘米|毫米)", re.IGNORECASE)
_LOBES = {"右肺上叶": "right upper lobe", "右肺中叶": "right middle lobe",
          "右肺下叶": "right lower lobe", "左肺上叶": "left upper lobe",
          "左肺下叶": "left lower lobe", "舌段": "lingula", "肺尖": "apical",
          "心后": "retrocardiac", "肺门": "perihilar", "下肺": "basilar", "肺底": "basilar"}
_TEMPORAL = (("新见", "new"), ("新发", "new"), ("新出现", "new"), ("已吸收", "resolved"),
             ("已消失", "resolved"), ("消退", "resolved"), ("增多", "increased"),
             ("增大", "increased"), ("加重", "increased"), ("进展", "increased"),
             ("减少", "decreased"), ("缩小", "decreased"), ("好转", "decreased"),
             ("吸收", "decreased"), ("无变化", "unchanged"), ("无明显变化", "unchanged"),
             ("同前", "unchanged"), ("稳定", "unchanged"), ("相仿", "unchanged"))


def chinese_attributes(sentence: str, start: int, end: int, *,
                       sentence_end: int | None = None) -> Attributes:
    """Attributes of the mention ``sentence[start:end]``; a size or change may stand in a
    later clause of the sentence ("右上肺结节，大小约1.2cm", "左侧胸腔积液，较前减少"), up to
    ``sentence_end``."""
    before = _CLAUSE.split(sentence[:start])[-1]
    after = _CLAUSE.split(sentence[end:])[0]
    clause = before + sentence[start:end] + after
    rest = sentence[end:sentence_end or len(sentence)]
    size = _SIZE.search(sentence[start:sentence_end or len(sentence)])
    return Attributes(
        laterality=_nearest(before, after, _SIDES),
        severity=_nearest(before, after, _SEVERITY),
        size=size.group() if size else None,
        location=next((english for word, english in _LOBES.items() if word in clause), None),
        temporal=_change(before) if "新" in before else _change(rest),
    )


def _nearest(before: str, after: str, words: tuple[tuple[str, str], ...]) -> str | None:
    """The word nearest the mention: the last one before it, else the first one after it."""
    found = [(before.rfind(word), english) for word, english in words if word in before]
    if found:
        return max(found)[1]
    later = [(after.find(word), english) for word, english in words if word in after]
    return min(later)[1] if later else None


def _change(rest: str) -> str | None:
    """A change word in the sentence from the mention on, the longest that matches first."""
    hits = [(rest.find(word), -len(word), english) for word, english in _TEMPORAL if word in rest]
    return min(hits)[2] if hits else None
