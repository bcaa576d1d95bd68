"""Chinese values of the demo corpus's template slots (see experiments/demo/phrases.py).

SYNTHETIC, written by the radprompt authors. Each English slot value maps to the words a
Chinese report uses in its place; slots that only serve English grammar (plural "s",
"is"/"are", "a") are empty in Chinese.
"""

from __future__ import annotations

_SIDES = {"right": "右侧", "left": "左侧", "bilateral": "双侧"}
_LOBES = {
    "right upper lobe": "右肺上叶", "right middle lobe": "右肺中叶", "right lower lobe": "右肺下叶",
    "left upper lobe": "左肺上叶", "left lower lobe": "左肺下叶",
}
_ZONES = {"upper lung zone": "上肺野", "midlung zone": "中肺野", "lower lung zone": "下肺野",
          "perihilar region": "肺门周围", "lung periphery": "肺外带"}
_SHORT = {"right": "右", "left": "左"}
_ORDINALS = ("third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")

SLOTS_ZH: dict[str, dict[str, str]] = {
    "side": _SIDES,
    "opp": {"right": "右侧", "left": "左侧"},
    "base": {"right basilar": "右下肺", "left basilar": "左下肺", "bibasilar": "双下肺",
             "left retrocardiac": "左心后区"},
    "lung": {"the right lung": "右肺", "the left lung": "左肺", "both lungs": "双肺"},
    "apex": {"the right apex": "右肺尖", "the left apex": "左肺尖", "both apices": "双肺尖"},
    "hemi": {"the right hemithorax": "右侧胸腔", "the left hemithorax": "左侧胸腔",
             "both hemithoraces": "双侧胸腔"},
    "lobe": _LOBES,
    "region": {f"{side} {zone}": f"{_SHORT[side]}{zh}" for side in _SHORT
               for zone, zh in _ZONES.items()},
    "size": {"small": "少量", "moderate": "中等量", "large": "大量", "trace": "微量",
             "small to moderate": "少至中等量", "moderate to large": "中至大量"},
    "degree": {"mild": "轻度", "moderate": "中度", "severe": "重度", "marked": "明显"},
    "mild": {"mild": "轻度", "minimal": "少许", "slight": "轻微"},
    "ribnum": {word: str(number) for number, word in enumerate(_ORDINALS, start=3)},
    "ribrange": {"fourth and fifth": "4、5", "sixth through eighth": "6至8",
                 "fifth to seventh": "5至7", "seventh and eighth": "7、8",
                 "ninth and tenth": "9、10"},
    "tip": {
        "at the cavoatrial junction": "位于上腔静脉与右心房交界处",
        "in the lower SVC": "位于上腔静脉下段",
        "in the mid SVC": "位于上腔静脉中段",
        "at the junction of the SVC and right atrium": "位于上腔静脉与右心房连接处",
        "in the proximal right atrium": "位于右心房近端",
        "in the upper SVC": "位于上腔静脉上段",
    },
    "ettpos": {
        "4 cm above the carina": "位于隆突上方4cm",
        "approximately 5 cm above the carina": "位于隆突上方约5cm",
        "3 cm above the carina": "位于隆突上方3cm",
        "6 cm above the carina": "位于隆突上方6cm",
        "at the level of the clavicular heads": "平锁骨头水平",
    },
    "cvl": {"right internal jugular": "右侧颈内静脉", "left internal jugular": "左侧颈内静脉",
            "right IJ": "右侧颈内静脉", "left IJ": "左侧颈内静脉",
            "right subclavian": "右侧锁骨下静脉", "left subclavian": "左侧锁骨下静脉"},
    "ptx": {"small": "少量", "tiny": "微量", "moderate": "中等量", "large": "大量",
            "very small": "极少量"},
}
EMPTY_IN_CHINESE = frozenset(("s", "is_are", "a"))
"""English grammar only: a plural ending, "is"/"are", "a"."""


def chinese_slots(slots: dict[str, str]) -> dict[str, str]:
    """The Chinese value of every slot; sizes lose their space ("1.2 cm" -> "1.2cm")."""
    values: dict[str, str] = {}
    for name, value in slots.items():
        if name in EMPTY_IN_CHINESE:
            values[name] = ""
        elif name in SLOTS_ZH:
            values[name] = SLOTS_ZH[name][value]
        else:
            values[name] = value.replace(" ", "")
    return values
