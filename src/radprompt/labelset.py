"""Label taxonomies: loading, validation and mappings between schemas.

A label list lives in exactly one place, its labelset YAML under ``labelsets/``. Nothing in
Python names a label.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> ls = load_labelset("chestxray21")
    >>> ls.get("pleural_effusion").name
    'Pleural Effusion'
"""

from __future__ import annotations

import hashlib
import re
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from radprompt.errors import InputError, validation_problem
from radprompt.guard_examples import GuardExample, examples_directory, merge_example_files
from radprompt.resources import find_resource, has_resource, list_resources
from radprompt.vocabulary import (
    Cues,
    Hedges,
    LabelVocabulary,
    LanguagePack,
    StrictModel,
    check_language_codes,
)

__all__ = [
    "DEFAULT_IGNORED_SECTIONS", "Cues", "GuardExample", "Hedges", "Label", "LabelMapping",
    "LabelSet", "LabelVocabulary", "LanguagePack", "UncertaintyPolicy", "available_labelsets",
    "available_mappings", "load_labelset", "load_mapping", "parse_labelset", "read_yaml",
]

_Strict = StrictModel
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")

DEFAULT_IGNORED_SECTIONS = (
    "indication", "indications", "history", "clinical history", "reason for exam",
    "reason for examination", "comparison", "comparisons", "technique", "examination", "exam",
    "clinical information", "procedure",
)
"""Report sections whose sentences state the question, not the findings (lower case)."""


class UncertaintyPolicy(StrEnum):
    """How an ``uncertain`` finding counts in the binary (positive / negative) view."""

    POSITIVE = "positive"
    NEGATIVE = "negative"


class Label(_Strict):
    """One finding of a taxonomy, written for clinicians and compiled for extractors."""

    id: str
    name: str
    definition: str
    phrases: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()
    uncertainty_policy: UncertaintyPolicy = UncertaintyPolicy.POSITIVE
    threshold: float = 0.90
    notes: str = ""
    derived: Literal["no_other_positive"] | None = None
    derived_ignores: tuple[str, ...] = ()
    """For a derived label: labels that do not count ("No Finding" ignores Support Devices in
    CheXpert)."""
    cues: Cues = Cues()
    hedges: Hedges | None = None
    """This label's own hedge convention; ``None`` follows the labelset's."""
    normal_phrases: tuple[str, ...] = ()
    """Normal statements that set this label absent ("heart size is normal")."""
    uncertain_phrases: tuple[str, ...] = ()
    """Mention phrases that are uncertain by themselves ("vascular congestion" for CheXpert's
    Edema); a cue can still negate them."""
    other_findings: tuple[str, ...] = ()
    """For a derived label: findings outside the taxonomy whose (not negated) mention makes it
    negative (CheXpert's No Finding is cancelled by a hiatal hernia)."""
    examples: tuple[GuardExample, ...] = ()
    """Guard examples: sentences this label must read in a given state (its unit tests)."""
    languages: dict[str, LabelVocabulary] = Field(default_factory=dict)
    """The label's words in other languages, by language code (``zh``)."""

    @field_validator("languages")
    @classmethod
    def _known_language_codes(
        cls, value: dict[str, LabelVocabulary]
    ) -> dict[str, LabelVocabulary]:
        check_language_codes(value)
        return value

    @field_validator("id")
    @classmethod
    def _id_is_snake_case(cls, value: str) -> str:
        if not _SNAKE_CASE.match(value):
            raise ValueError(f"label id {value!r} is not snake_case (a-z, 0-9, _)")
        return value

    @field_validator("threshold")
    @classmethod
    def _threshold_in_unit_interval(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold {value} is outside [0, 1]")
        return value

    @model_validator(mode="after")
    def _has_phrases_unless_derived(self) -> Label:
        if self.derived is None and not (self.phrases or self.synonyms or self.uncertain_phrases):
            raise ValueError(f"label {self.id!r} has no mention phrases or synonyms")
        if self.other_findings and self.derived is None:
            raise ValueError(f"label {self.id!r} has other_findings but is not derived")
        return self

    @property
    def mention_phrases(self) -> tuple[str, ...]:
        """Every phrase that names this finding: ``phrases``, ``synonyms``, then
        ``uncertain_phrases``."""
        return tuple(dict.fromkeys((*self.phrases, *self.synonyms, *self.uncertain_phrases)))


class LabelSet(_Strict):
    """A named, versioned label taxonomy."""

    name: str
    version: str
    description: str = ""
    min_support: int = Field(default=5, ge=0)
    ignore_sections: tuple[str, ...] = DEFAULT_IGNORED_SECTIONS
    cues: Cues = Cues()
    hedges: Hedges = Hedges()
    significance: dict[str, Any] = Field(default_factory=dict)
    """Clinical-significance weights per label and per attribute error, read and checked by
    ``radprompt.metrics.weights`` (the metrics own its schema)."""
    languages: dict[str, LanguagePack] = Field(default_factory=dict)
    """Cues and ignored sections of other languages, by language code (``zh``)."""
    labels: tuple[Label, ...]

    @model_validator(mode="after")
    def _label_languages_have_packs(self) -> LabelSet:
        check_language_codes(self.languages)
        for label in self.labels:
            missing = sorted(set(label.languages) - set(self.languages))
            if missing:
                raise ValueError(f"label {label.id!r} has words in {missing} but the labelset "
                                 f"has no 'languages:' entry (cues) for them")
        return self

    @model_validator(mode="after")
    def _derived_ignores_known_labels(self) -> LabelSet:
        ids = {label.id for label in self.labels}
        for label in self.labels:
            if label.derived_ignores and label.derived is None:
                raise ValueError(f"label {label.id!r} has derived_ignores but is not derived")
            unknown = [i for i in label.derived_ignores if i not in ids]
            if unknown:
                raise ValueError(f"label {label.id!r}: derived_ignores names unknown label(s) "
                                 f"{unknown}")
        return self

    @model_validator(mode="after")
    def _ids_and_names_unique(self) -> LabelSet:
        for attribute in ("id", "name"):
            seen: set[str] = set()
            for label in self.labels:
                value = getattr(label, attribute)
                if value in seen:
                    raise ValueError(f"duplicate label {attribute} {value!r}")
                seen.add(value)
        return self

    @property
    def ids(self) -> list[str]:
        return [label.id for label in self.labels]

    def get(self, label_id: str) -> Label:
        for label in self.labels:
            if label.id == label_id:
                return label
        raise KeyError(f"labelset {self.name!r} has no label {label_id!r}")

    def resolve(self, key: str) -> Label | None:
        """Find a label by id or display name, ignoring case, spaces and underscores."""
        wanted = _normalise_key(key)
        for label in self.labels:
            if wanted in (_normalise_key(label.id), _normalise_key(label.name)):
                return label
        return None

    def hedges_for(self, label: Label) -> Hedges:
        """The label's hedge convention, or the labelset's."""
        return label.hedges if label.hedges is not None else self.hedges

    def cues_for(self, label: Label) -> Cues:
        """The labelset's cues extended with the label's own."""
        return self.cues.merged(label.cues)

    def in_language(self, code: str) -> LabelSet:
        """This labelset with the words of language ``code`` in place of the English ones.

        Labels without words in that language keep none; guard examples are those written in
        it. ``en`` returns the labelset itself; a language it has no pack for raises
        ``KeyError`` naming the ones it has.
        """
        if code == "en":
            return self
        pack = self.languages.get(code)
        if pack is None:
            raise KeyError(f"labelset {self.name!r} has no language {code!r}; it has: "
                           f"{', '.join(['en', *self.languages])}")
        labels = []
        for label in self.labels:
            words = label.languages.get(code, LabelVocabulary())
            labels.append(label.model_copy(update={
                **{name: getattr(words, name) for name in LabelVocabulary.model_fields},
                "other_findings": (), "languages": {},
                "examples": tuple(e for e in label.examples if e.lang == code)}))
        return self.model_copy(update={
            "cues": pack.cues, "labels": tuple(labels), "languages": {},
            "ignore_sections": tuple(dict.fromkeys((*pack.ignore_sections,
                                                    *self.ignore_sections)))})

    def with_label(self, label: Label) -> LabelSet:
        """Return a new labelset in which ``label`` replaces the label with the same id."""
        labels = tuple(label if old.id == label.id else old for old in self.labels)
        return self.model_copy(update={"labels": labels})


def _normalise_key(key: str) -> str:
    return re.sub(r"[\s_\-]+", "", key.strip().lower())


class LabelMapping(_Strict):
    """A mapping from another schema's labels onto a labelset's labels.

    ``map`` sends each source label to zero or more target label ids; a target label is positive
    when any of its source labels is; uncovered targets are left out of scoring against it.
    ``uncertain_as``: how the source counts a hedged finding (negative: asserted ones only).
    """

    name: str
    description: str = ""
    source: str
    target: str
    map: dict[str, tuple[str, ...]]
    notes: dict[str, str] = Field(default_factory=dict)
    uncertain_as: UncertaintyPolicy | None = None

    def covered_targets(self) -> list[str]:
        return list(dict.fromkeys(t for targets in self.map.values() for t in targets))

    def check_against(self, target: LabelSet, *, source: LabelSet | None = None) -> None:
        """Raise ``ValueError`` if the mapping names a label that does not exist."""
        for source_label, targets in self.map.items():
            if source is not None and source.resolve(source_label) is None:
                raise ValueError(
                    f"mapping {self.name!r}: source label {source_label!r} "
                    f"is not in labelset {source.name!r}"
                )
            for target_id in targets:
                if target_id not in target.ids:
                    raise ValueError(
                        f"mapping {self.name!r}: {source_label!r} maps to {target_id!r}, "
                        f"which is not a label of {target.name!r}"
                    )


class _Yaml12BoolLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader (libyaml's where PyYAML has it) where only true / false are booleans (YAML
    1.2), so a cue list may say ``[no, not, without]`` without ``no`` turning into ``False``."""


_Yaml12BoolLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12BoolLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def read_yaml(path: Path, *, digests: dict[Path, str] | None = None) -> Any:
    """Read a YAML file (its SHA-256 into ``digests``); a missing, empty or malformed file
    raises ``InputError``."""
    if not path.is_file():
        raise InputError(path, "file not found")
    raw = path.read_bytes()
    if digests is not None:
        digests[path.resolve()] = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(path, f"not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = yaml.load(text, Loader=_Yaml12BoolLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(path, f"malformed YAML: {problem}", where=where) from exc
    if data is None:
        raise InputError(path, "the file is empty")
    return data


def _label_location(data: Any, location: str) -> str:
    """Replace ``labels.3`` with ``labels[3] (id 'edema')`` so a person can find it."""
    match = re.match(r"labels\.(\d+)(.*)", location)
    if not match or not isinstance(data, dict):
        return location
    index = int(match.group(1))
    labels = data.get("labels") or []
    label = labels[index] if index < len(labels) else None
    label_id = label.get("id") if isinstance(label, dict) else None
    named = f" (id {label_id!r})" if label_id else ""
    return f"labels[{index}]{named}{match.group(2)}"


def parse_labelset(data: Any, *, path: Path) -> LabelSet:
    """Validate a labelset read from ``path``; every label must carry guard examples (a
    labelset built in code need not, so the optimizer's candidates and unit tests can)."""
    if not isinstance(data, dict):
        raise InputError(path, "a labelset must be a YAML mapping with 'name' and 'labels'")
    try:
        labelset = LabelSet.model_validate(data)
    except ValidationError as exc:
        location, problem = validation_problem(exc)
        raise InputError(path, problem, where=_label_location(data, location) or None) from exc
    for index, label in enumerate(labelset.labels):
        if not label.examples:
            raise InputError(
                path, f"label {label.id!r} has no guard examples; add some in "
                f"examples/{labelset.name}/*.yaml beside the labelset (or inline 'examples:')",
                where=f"labels[{index}] (id {label.id!r})")
    return labelset


_LOADED: dict[Path, tuple[tuple[tuple[Path, str], ...], LabelSet]] = {}  # see load_labelset


def _files(path: Path, name: str, digests: dict[Path, str]) -> tuple[tuple[Path, str], ...]:
    directory = examples_directory(labelset_path=path, name=name)
    files = [path, *(sorted(directory.glob("*.yaml")) if directory is not None else [])]
    return tuple((file.resolve(), digests.get(file.resolve()) or hashlib.sha256(
        file.read_bytes() if file.is_file() else b"").hexdigest()) for file in files)


def load_labelset(name_or_path: str | Path) -> LabelSet:
    """Load a labelset by name (``chestxray21``) or by path to its YAML file, with the guard
    examples of ``examples/<name>/*.yaml`` merged into its labels (loaded again in the same
    process while those files are unchanged, the same object returns)."""
    path = find_resource("labelsets", name_or_path, suffix=".yaml")
    files, labelset = _LOADED.get(path.resolve(), ((), None))
    if labelset is not None and files == _files(path, labelset.name, {}):
        return labelset  # the same files, byte for byte
    digests: dict[Path, str] = {}
    data = read_yaml(path, digests=digests)
    if isinstance(data, dict):
        data = merge_example_files(data, labelset_path=path,
                                   read=lambda file: read_yaml(file, digests=digests))
    labelset = parse_labelset(data, path=path)
    _LOADED[path.resolve()] = (_files(path, labelset.name, digests), labelset)
    return labelset


def available_labelsets() -> list[Path]:
    return list_resources("labelsets", suffix=".yaml")


def load_mapping(name_or_path: str | Path, *, check: bool = True) -> LabelMapping:
    """Load a mapping from ``labelsets/mappings/`` and check it against its labelsets."""
    path = find_resource("labelsets/mappings", name_or_path, suffix=".yaml")
    data = read_yaml(path)
    try:
        mapping = LabelMapping.model_validate(data)
    except ValidationError as exc:
        location, problem = validation_problem(exc)
        raise InputError(path, problem, where=location or None) from exc
    if check:
        target = load_labelset(mapping.target)
        source = (load_labelset(mapping.source)
                  if has_resource("labelsets", mapping.source, suffix=".yaml") else None)
        try:
            mapping.check_against(target, source=source)
        except ValueError as exc:
            raise InputError(path, str(exc)) from exc
    return mapping


def available_mappings() -> list[Path]:
    return list_resources("labelsets/mappings", suffix=".yaml")
