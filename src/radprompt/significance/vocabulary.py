"""The report language the pair generator and the trained metric know, from a YAML file.

``labelsets/perturbations/<labelset>.yaml`` holds sides, severity scales, measurement units,
device-position rewrites, abbreviations, certainty-keeping wording, sentence paraphrases and
which of the labelset's own phrases are interchangeable. Finding words are never listed there:
they come from the labelset. A synonym group whose phrases are not all mention phrases of one
label is an error, reported with the file and the group.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> vocabulary = load_vocabulary(labelset=load_labelset("chestxray21"))
    >>> sorted(vocabulary.sides_of("Small bilateral effusions."))
    ['left', 'right']
    >>> vocabulary.severity_level("moderate")
    2.0
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from radprompt.errors import InputError, validation_problem
from radprompt.labelset import LabelSet, read_yaml
from radprompt.resources import find_resource

__all__ = [
    "PerturbationVocabulary",
    "Rewrite",
    "load_vocabulary",
    "normalise_words",
    "word_pattern",
]

VOCABULARY_FOLDER = "labelsets/perturbations"


def word_pattern(
    words: list[str] | tuple[str, ...], *, ignore_case: bool = True
) -> re.Pattern[str]:
    """One alternation of ``words`` (longest first) on word boundaries; spaces match hyphens."""
    unique = sorted({w for w in words if w}, key=len, reverse=True)
    body = "|".join(r"[\s\-]+".join(re.escape(part) for part in w.split()) for w in unique)
    return re.compile(rf"(?<![\w-])(?:{body or '(?!)'})(?![\w-])",
                      re.IGNORECASE if ignore_case else 0)


def normalise_words(text: str) -> str:
    """Lower case, with runs of spaces and hyphens as one space."""
    return re.sub(r"[\s\-]+", " ", text.lower()).strip()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Rewrite(_Strict):
    """A regular expression and what a match becomes (``str.format`` with its named groups)."""

    pattern: str
    replacement: str

    @cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, re.IGNORECASE)


class SeverityVocabulary(_Strict):
    min_change: float = 2
    scales: tuple[dict[str, float], ...] = ()


class MeasurementVocabulary(_Strict):
    units: dict[str, float] = Field(default_factory=lambda: {"mm": 1.0, "cm": 10.0})
    factors: tuple[float, ...] = (0.4, 2.5)


class DeviceVocabulary(_Strict):
    rewrites: tuple[Rewrite, ...] = ()
    cues: tuple[str, ...] = ()


class PerturbationVocabulary(_Strict):
    """Everything in one ``labelsets/perturbations/*.yaml`` file (see that file's comments)."""

    model_config = ConfigDict(extra="forbid", frozen=True, ignored_types=(cached_property,))

    labelset: str
    version: str = "0"
    synonym_groups: tuple[tuple[str, ...], ...] = ()
    laterality: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    laterality_swaps: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    severity: SeverityVocabulary = SeverityVocabulary()
    measurement: MeasurementVocabulary = MeasurementVocabulary()
    device_malposition: DeviceVocabulary = DeviceVocabulary()
    abbreviations: dict[str, str] = Field(default_factory=dict)
    hedging_neutral: tuple[tuple[str, ...], ...] = ()
    paraphrases: tuple[Rewrite, ...] = ()
    negate: tuple[Rewrite, ...] = ()
    assert_negated: dict[str, str] = Field(default_factory=dict)
    false_finding_frames: tuple[str, ...] = ()
    formatting: tuple[str, ...] = ()

    # -- compiled views ----------------------------------------------------------------------
    @cached_property
    def _side_patterns(self) -> dict[str, re.Pattern[str]]:
        return {side: word_pattern(words) for side, words in self.laterality.items()}

    def sides_of(self, text: str) -> frozenset[str]:
        """The sides ``text`` places findings on: ``left`` / ``right`` (``bilateral`` = both)."""
        sides: set[str] = set()
        for side, pattern in self._side_patterns.items():
            if pattern.search(text):
                sides.update(("left", "right") if side == "bilateral" else (side,))
        return frozenset(sides)

    @cached_property
    def laterality_pattern(self) -> re.Pattern[str]:
        return word_pattern(list(self.laterality_swaps))

    @cached_property
    def severity_levels(self) -> dict[str, float]:
        levels: dict[str, float] = {}
        for scale in self.severity.scales:
            for word, level in scale.items():
                levels[normalise_words(word)] = float(level)
        return levels

    @cached_property
    def severity_pattern(self) -> re.Pattern[str]:
        return word_pattern(list(self.severity_levels))

    def severity_level(self, word: str) -> float | None:
        return self.severity_levels.get(normalise_words(word))

    def severity_of(self, text: str) -> float | None:
        """The highest severity level named in ``text``, or ``None``."""
        levels = [self.severity_level(m.group(0)) for m in self.severity_pattern.finditer(text)]
        known = [level for level in levels if level is not None]
        return max(known) if known else None

    @cached_property
    def measurement_pattern(self) -> re.Pattern[str]:
        units = "|".join(re.escape(unit) for unit in self.measurement.units)
        return re.compile(rf"(?<![\w.])(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>{units})\b")

    def measurements_of(self, text: str) -> tuple[float, ...]:
        """Every measurement in ``text``, in the smallest unit (millimetres)."""
        return tuple(float(m.group("value")) * self.measurement.units[m.group("unit")]
                     for m in self.measurement_pattern.finditer(text))

    @cached_property
    def malposition_pattern(self) -> re.Pattern[str]:
        return word_pattern(list(self.device_malposition.cues))

    def malpositioned(self, text: str) -> bool:
        return bool(self.malposition_pattern.search(text))

    def check_against(self, labelset: LabelSet) -> None:
        """Raise ``ValueError`` if a synonym group mixes labels or names no label's phrases."""
        owners: dict[str, set[str]] = {}
        for label in labelset.labels:
            for phrase in label.mention_phrases:
                owners.setdefault(phrase.lower(), set()).add(label.id)
        for number, group in enumerate(self.synonym_groups, start=1):
            common: set[str] | None = None
            for phrase in group:
                labels = owners.get(phrase.lower())
                if not labels:
                    raise ValueError(f"synonym_groups[{number}]: {phrase!r} is not a phrase or "
                                     f"synonym of any label of {labelset.name!r}")
                common = set(labels) if common is None else common & labels
            if not common:
                raise ValueError(f"synonym_groups[{number}] {list(group)} mixes phrases of "
                                 "different labels")


def load_vocabulary(
    *, labelset: LabelSet, path: str | Path | None = None
) -> PerturbationVocabulary:
    """The vocabulary for ``labelset`` (``labelsets/perturbations/<name>.yaml``), or ``path``."""
    where = find_resource(VOCABULARY_FOLDER, path or labelset.name, suffix=".yaml")
    data = read_yaml(where)
    try:
        vocabulary = PerturbationVocabulary.model_validate(data)
    except ValidationError as exc:
        location, problem = validation_problem(exc)
        raise InputError(where, problem, where=location or None) from exc
    try:
        vocabulary.check_against(labelset)
    except ValueError as exc:
        raise InputError(where, str(exc)) from exc
    return vocabulary
