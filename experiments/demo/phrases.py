"""Phrases, label ids and template slots shared by the demo corpus sentence banks.

Every sentence here was written by the radprompt authors for this corpus; none is copied from a
real report. Each entry is a ``Phrase``: a sentence template, the label states it expresses, and
optionally the impression lines that may restate it.

Annotation mini-language (``Phrase.ann``): space-separated ``<label_id><mark>`` tokens where the
mark is ``+`` present, ``?`` uncertain, ``-`` absent (explicitly negated). A label that a phrase
does not name is ``not_mentioned`` for that phrase. A token ``!<label_id>`` sets no label; it only
keeps the phrase out of reports that mention that label at all (e.g. "Costophrenic angles are
sharp." never appears beside pleural thickening); ``!region`` keeps a normal statement such as
"Lungs are clear without edema." out of reports with a finding in the same region. The
report's labels are merged from the phrases it contains (present > uncertain > absent >
not_mentioned); ``no_finding`` is derived.

Template slots (filled per finding instance so findings and impression agree):
lateral  side, base, s, is_are, a, lung, apex, hemi  (allow "bilateral") and
         lobe, region, opp                            (one side only)
other    size, degree, mild, nodsize, masssize, ribnum, ribrange, vert, tip, ettpos, cvl, ptx, cm
"""

from __future__ import annotations

from typing import NamedTuple


class Phrase(NamedTuple):
    """A sentence template with the label states it expresses."""

    text: str
    ann: str
    imp: tuple[Phrase, ...] = ()


def p(text: str, ann: str = "", *imp: str | Phrase) -> Phrase:
    """Build a phrase; impression restatements given as plain text share ``ann``."""
    restated = tuple(x if isinstance(x, Phrase) else Phrase(x, ann) for x in imp)
    return Phrase(text, ann, restated)


STATES = ("present", "absent", "uncertain", "not_mentioned")
MARKS = {"+": "present", "-": "absent", "?": "uncertain"}

# Label ids of the Ran Score chestxray21 labelset, in labelset order. The labelset YAML is the
# authority; build_corpus.py cross-checks this tuple against labelsets/chestxray21.yaml.
LABEL_IDS = (
    "atelectasis",
    "cardiomegaly",
    "consolidation",
    "edema",
    "enlarged_cardiomediastinum",
    "fracture",
    "lung_lesion",
    "no_finding",
    "pleural_effusion",
    "pleural_other",
    "lung_opacity",
    "pneumonia",
    "pneumothorax",
    "support_devices",
    "emphysema",
    "interstitial_lung_disease",
    "calcification",
    "trachea_and_bronchus",
    "cavity_and_cyst",
    "mediastinal_other",
    "pulmonary_vascular_abnormal",
)
DERIVED_LABEL = "no_finding"

# ---------------------------------------------------------------------------------------------
# Slot values
# ---------------------------------------------------------------------------------------------
LOBES = {
    "right": ("right upper lobe", "right middle lobe", "right lower lobe"),
    "left": ("left upper lobe", "left lower lobe"),
}
REGIONS = {
    side: (
        f"{side} upper lung zone",
        f"{side} midlung zone",
        f"{side} lower lung zone",
        f"{side} perihilar region",
        f"{side} lung periphery",
    )
    for side in ("right", "left")
}
SLOT_VALUES: dict[str, tuple[str, ...]] = {
    "size": (
        "small",
        "small",
        "moderate",
        "large",
        "trace",
        "small to moderate",
        "moderate to large",
    ),
    "degree": ("mild", "mild", "moderate", "moderate", "severe", "marked"),
    "mild": ("mild", "minimal", "slight", "mild"),
    "nodsize": ("5 mm", "7 mm", "9 mm", "1.2 cm", "1.5 cm", "1.9 cm", "2.4 cm"),
    "masssize": ("3.4 cm", "4 cm", "4.8 cm", "5.5 cm", "6.2 cm", "7 cm"),
    "ribnum": ("third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"),
    "ribrange": (
        "fourth and fifth",
        "sixth through eighth",
        "fifth to seventh",
        "seventh and eighth",
        "ninth and tenth",
    ),
    "vert": ("T6", "T7", "T8", "T9", "T10", "T11", "T12", "L1"),
    "tip": (
        "at the cavoatrial junction",
        "in the lower SVC",
        "in the mid SVC",
        "at the junction of the SVC and right atrium",
        "in the proximal right atrium",
        "in the upper SVC",
    ),
    "ettpos": (
        "4 cm above the carina",
        "approximately 5 cm above the carina",
        "3 cm above the carina",
        "6 cm above the carina",
        "at the level of the clavicular heads",
    ),
    "cvl": (
        "right internal jugular",
        "left internal jugular",
        "right IJ",
        "left IJ",
        "right subclavian",
        "left subclavian",
    ),
    "ptx": ("small", "tiny", "small", "moderate", "large", "very small"),
    "cm": ("1", "1.5", "2", "2.5", "3", "4"),
}
LATERAL_SLOTS = frozenset(
    {"side", "base", "s", "is_are", "a", "lung", "apex", "hemi", "lobe", "region", "opp"}
)
UNILATERAL_SLOTS = frozenset({"lobe", "region", "opp"})
# A template may describe both sides only if it uses one of these plural-aware slots.
BILATERAL_SLOTS = frozenset({"s", "base", "lung", "apex", "hemi"})


def lateral_values(side: str) -> dict[str, str]:
    """Slot values for one laterality; ``side`` is right, left or bilateral."""
    if side == "bilateral":
        return {
            "side": "bilateral",
            "base": "bibasilar",
            "s": "s",
            "is_are": "are",
            "a": "",
            "lung": "both lungs",
            "apex": "both apices",
            "hemi": "both hemithoraces",
        }
    opp = "left" if side == "right" else "right"
    return {
        "side": side,
        "base": f"{side} basilar",
        "s": "",
        "is_are": "is",
        "a": "a ",
        "lung": f"the {side} lung",
        "apex": f"the {side} apex",
        "hemi": f"the {side} hemithorax",
        "opp": opp,
    }
