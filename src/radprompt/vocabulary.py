"""The words a labelset gives its extractors: cues, hedge conventions, and other languages.

``Cues`` and ``Hedges`` are the rule engine's negation / uncertainty vocabulary and the state
each hedge strength gives; ``LabelVocabulary`` and ``LanguagePack`` carry a label's words and a
labelset's cues in one more language (``zh``, ...). They are fields of ``radprompt.labelset``'s
models, which re-exports them.

Example::

    >>> from radprompt.vocabulary import Cues
    >>> Cues(negation_pre=("no",)).merged(Cues(negation_pre=("without",))).negation_pre
    ('no', 'without')
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Cues", "HedgeState", "Hedges", "LabelVocabulary", "LanguagePack", "StrictModel",
           "check_language_codes"]


class StrictModel(BaseModel):
    """Frozen, and unknown keys are errors (a typo in a labelset never passes silently)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Cues(StrictModel):
    """Negation and uncertainty cues of the rule engine (NegEx style).

    ``*_pre`` cues precede the finding they modify ("no", "cannot exclude"); ``*_post`` cues
    follow it ("has resolved", "is not excluded"). ``pseudo`` are phrases that contain a cue
    word but do not negate ("no change"); ``termination`` ends a cue's scope ("but").
    ``bidirectional_uncertainty`` marks every finding on both sides ("X versus Y").

    Hedges carry a strength: ``uncertainty_*`` cues are low-probability hedges ("may",
    "possibly", "cannot exclude"), ``probable_*`` cues high-probability ones ("likely",
    "probable", "suggestive of"). Which state each strength gives is the labelset's convention
    (``LabelSet.hedges``, per label ``Label.hedges``).
    """

    negation_pre: tuple[str, ...] = ()
    negation_post: tuple[str, ...] = ()
    uncertainty_pre: tuple[str, ...] = ()
    uncertainty_post: tuple[str, ...] = ()
    probable_pre: tuple[str, ...] = ()
    probable_post: tuple[str, ...] = ()
    bidirectional_uncertainty: tuple[str, ...] = ()
    pseudo: tuple[str, ...] = ()
    termination: tuple[str, ...] = ()
    scope_tokens: int = Field(default=8, ge=1, le=200)

    def merged(self, other: Cues) -> Cues:
        """Return these cues extended with ``other``'s (order kept, duplicates dropped)."""
        data: dict[str, Any] = {}
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, tuple):
                data[name] = tuple(dict.fromkeys((*mine, *theirs)))
            else:
                data[name] = mine
        return Cues(**data)


HedgeState = Literal["present", "uncertain"]


class Hedges(StrictModel):
    """The state a finding hedged with each cue strength takes (a labelset's convention).

    Radiologists usually label a high-probability hedge ("likely pneumonia") present; CheXpert's
    labeler marks it uncertain. A low-probability hedge ("may represent") is uncertain in both.
    """

    probable: HedgeState = "uncertain"
    possible: HedgeState = "uncertain"


class LabelVocabulary(StrictModel):
    """A label's words in one more language (``zh``, ...): the English fields' counterparts.

    The label's own fields are English; ``Label.languages`` gives the words of any other
    language, and the rule engine reads a report with the words of the report's language.
    """

    phrases: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    normal_phrases: tuple[str, ...] = ()
    uncertain_phrases: tuple[str, ...] = ()
    cues: Cues = Cues()


class LanguagePack(StrictModel):
    """A labelset's cues and ignored section headers in one more language."""

    cues: Cues = Cues()
    ignore_sections: tuple[str, ...] = ()


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def check_language_codes(codes: Any) -> None:
    for code in codes:
        if code == "en" or not _LANGUAGE_CODE.match(code):
            raise ValueError(f"language {code!r}: give other languages by their ISO 639-1 "
                             "code ('zh', 'de'); English is the label's own fields")
