"""The language a report is written in: declared (a ``language`` field) or detected.

Readers keep any ``language`` (or ``lang``) field of a JSONL record or CSV column in the
report's ``meta``; without one, a text whose letters are mostly CJK characters is Chinese.
English is the default, so English data needs nothing.

Example::

    >>> detect_language("No pneumothorax.")
    'en'
    >>> detect_language("双肺纹理增多，未见明显实变影。")
    'zh'
    >>> report_language("Heart size normal.", {"language": "zh-CN"})
    'zh'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CJK_LANGUAGES",
    "DEFAULT_LANGUAGE",
    "cjk_share",
    "detect_language",
    "is_cjk_language",
    "locate_unspaced",
    "normalise_language",
    "report_language",
    "simplified",
]

DEFAULT_LANGUAGE = "en"
CJK_LANGUAGES = frozenset(("zh", "ja", "ko"))
"""Languages written without spaces between words: sentence splitting and matching differ."""
CJK_THRESHOLD = 0.3
"""A text whose letters are at least this share CJK is detected as Chinese. Chinese reports
carry Latin abbreviations (PICC, CT, T12) and English reports carry none of CJK, so the
threshold is far from both."""

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_ALIASES = {
    "chinese": "zh", "中文": "zh", "汉语": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zh",
    "zh-hant": "zh", "cn": "zh", "english": "en", "en-us": "en", "en-gb": "en",
}
LANGUAGE_KEYS = ("language", "lang")
"""Report fields (JSONL keys, CSV columns) that declare a report's language."""


def normalise_language(code: str) -> str:
    """``zh-CN``, ``zh_Hans``, ``Chinese`` -> ``zh``; an unknown code is lower-cased."""
    key = code.strip().lower().replace("_", "-")
    if key in _ALIASES:
        return _ALIASES[key]
    return key.split("-", 1)[0] if key else DEFAULT_LANGUAGE


def cjk_share(text: str) -> float:
    """The share of CJK characters among the letters of ``text`` (0 without letters)."""
    letters = sum(1 for char in text if char.isalpha())
    if not letters:
        return 0.0
    return len(_CJK.findall(text)) / letters


def detect_language(text: str) -> str:
    """``zh`` when CJK characters make up most of the text's letters, else ``en``."""
    if text.isascii() or _CJK.search(text) is None:
        return DEFAULT_LANGUAGE
    return "zh" if cjk_share(text) >= CJK_THRESHOLD else DEFAULT_LANGUAGE


def report_language(text: str, meta: Mapping[str, Any] | None = None) -> str:
    """The declared language in ``meta`` (``language`` / ``lang``), else the detected one."""
    for key in LANGUAGE_KEYS:
        declared = (meta or {}).get(key)
        if isinstance(declared, str) and declared.strip():
            return normalise_language(declared)
    return detect_language(text)


_TRADITIONAL = (
    "並亞來係側傷傾儀內兩冇別剋動區噁嚮圍圖團塊塵墊壓夾實寬尋對導屬帶張彆彎後徑復徵惡態慮憂應懷掃換摺擔擬擴斷於曆條極"
    "標樣機檢歷氣決沒淺減測渾溝滲滿潤濁濃濾為無營狀狹現環異疊瘺瘻療癥發皰監盤確積穩窩竈節範簡糰約紋紮細組結絲經綫維網"
    "線緩緻縫縮縱縴總織繫續纍纖義聯脈脹腎腫腸膚膽膿臟臨與舊葉蓋處術衝裝複見觀記許訴診評認請證識議護變負資質軟較輔輕輪"
    "輸轉連進過適釘鈍鈣銀銳鋼錄錶鎖鑒門閉開間閤闆關陰陳雙難電靜頂項頭頸類顫顯飼飽養餘髒體髮麯麵點齣"
)
_SIMPLIFIED = (
    "并亚来系侧伤倾仪内两没别克动区恶向围图团块尘垫压夹实宽寻对导属带张别弯后径复征恶态虑忧应怀扫换折担拟扩断于历条极"
    "标样机检历气决没浅减测浑沟渗满润浊浓滤为无营状狭现环异叠瘘瘘疗症发疱监盘确积稳窝灶节范简团约纹扎细组结丝经线维网"
    "线缓致缝缩纵纤总织系续累纤义联脉胀肾肿肠肤胆脓脏临与旧叶盖处术冲装复见观记许诉诊评认请证识议护变负资质软较辅轻轮"
    "输转连进过适钉钝钙银锐钢录表锁鉴门闭开间合板关阴陈双难电静顶项头颈类颤显饲饱养余脏体发曲面点出"
)
_T2S = str.maketrans(_TRADITIONAL, _SIMPLIFIED)
_REGIONAL = (("纵膈", "纵隔"), ("肋膜", "胸膜"))
"""Words of reports from Taiwan and Hong Kong for the mainland's, of the same length."""


def simplified(text: str) -> str:
    """``text`` with traditional Chinese characters in their simplified forms, character for
    character, so that every offset stays (a report written in traditional characters is read
    with the same Chinese words).

    The table covers the traditional forms of the characters the labelsets' Chinese words use
    (from HanziConv's character table, one simplified form each); other characters stay.

    >>> simplified("右側胸腔積液，未見氣胸。縱膈不寬。")
    '右侧胸腔积液，未见气胸。纵隔不宽。'
    """
    text = text.translate(_T2S)
    for regional, mainland in _REGIONAL:
        text = text.replace(regional, mainland)
    return text


def is_cjk_language(code: str) -> bool:
    """Is ``code`` a language written without spaces between words?"""
    return normalise_language(code) in CJK_LANGUAGES


_QUOTE_MARKS = "\"'`“”\u2018\u2019「」『』"
_TRAILING_MARKS = ".;,:!?。；，、：！？"


def locate_unspaced(quote: str, text: str) -> tuple[int, int] | None:
    r"""Where a quote with CJK characters stands in ``text``, spaces and character widths aside.

    Chinese has no spaces between words, so a model may add or drop them, write a half-width
    comma for a full-width one, break a line differently or add quote marks; all whitespace is
    ignored, both sides are NFKC-normalised and lower-cased, and outer quote marks and final
    punctuation of the quote are dropped. ``(start, end)`` in ``text``, or ``None`` (also for
    a quote without CJK characters, which the usual matching handles).

    >>> text = "影像所见：\n双肺纹理清晰，未见明显实变。"
    >>> start, end = locate_unspaced("“双肺纹理清晰, 未见明显 实变”", text)
    >>> text[start:end]
    '双肺纹理清晰，未见明显实变'
    """
    if _CJK.search(quote) is None:
        return None
    needle, _ = _fold_unspaced(quote.strip().strip(_QUOTE_MARKS).rstrip(_TRAILING_MARKS))
    if not needle:
        return None
    folded, offsets = _fold_unspaced(text)
    at = folded.find(needle)
    if at < 0:
        return None
    return offsets[at], offsets[at + len(needle) - 1] + 1


def _fold_unspaced(text: str) -> tuple[str, list[int]]:
    """``text`` without whitespace, NFKC-normalised and lower-cased, with each char's offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        if char.isspace():
            continue
        for folded in unicodedata.normalize("NFKC", char).lower():
            chars.append(folded)
            offsets.append(index)
    return "".join(chars), offsets
