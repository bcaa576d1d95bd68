"""Labelled report pairs: a reference report and a variant with one known change.

A *significant error* changes what the report tells a clinician (a negated finding now
asserted, the wrong side, the wrong size, a finding added or dropped, a device in the wrong
place, a wrong measurement); a *harmless variation* changes only how it is said (a paraphrase, a
synonym from the labelset, reordered sentences, an expanded abbreviation, formatting, wording
that keeps the same certainty). Each operator is a ``Perturbation`` in ``PERTURBATIONS``; one
that cannot apply to a report (no side to swap) is skipped and counted, never faked. Given the
same reports, vocabulary and seed, the pairs are the same.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> from radprompt.reports import Report
    >>> pairs = generate_pairs([Report("r1", "FINDINGS: Small left pleural effusion.")],
    ...                        labelset=load_labelset("chestxray21"), seed=0)
    >>> pairs.by_kind()["laterality_swap"][0].variant
    'FINDINGS: Small right pleural effusion.'
    >>> pairs.skipped["wrong_measurement"]
    {'no measurement in a positive finding sentence': 1}
"""

from __future__ import annotations

import json
import logging
import random
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from radprompt.errors import InputError
from radprompt.labelset import LabelSet
from radprompt.reports import Report
from radprompt.significance.analysis import ReportAnalysis, ReportReader
from radprompt.significance.vocabulary import PerturbationVocabulary, load_vocabulary
from radprompt.text_files import jsonl_text_lines

__all__ = [
    "Pair",
    "PairSet",
    "Perturbation",
    "Skip",
    "Source",
    "Variant",
    "generate_pairs",
    "read_pairs",
    "write_pairs",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pair:
    """A reference report and a variant; ``significant`` says whether it carries an error."""

    id: str
    reference_id: str
    kind: str
    significant: bool
    reference: str
    variant: str
    labels: tuple[str, ...] = ()
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["labels"] = list(self.labels)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Pair:
        return cls(
            id=str(data["id"]), reference_id=str(data["reference_id"]), kind=str(data["kind"]),
            significant=bool(data["significant"]), reference=str(data["reference"]),
            variant=str(data["variant"]), labels=tuple(data.get("labels", ())),
            detail=str(data.get("detail", "")),
        )


@dataclass(frozen=True)
class Variant:
    """What a perturbation made: the new text, the labels it touches, what it did."""

    text: str
    labels: tuple[str, ...]
    detail: str


@dataclass(frozen=True)
class Skip:
    """Why a perturbation could not apply to a report."""

    reason: str


@dataclass(frozen=True)
class Source:
    """What a perturbation works on: the report, read, and the tools to check a change."""

    report: Report
    analysis: ReportAnalysis
    reader: ReportReader
    labelset: LabelSet
    vocabulary: PerturbationVocabulary
    paraphrase: str | None = None
    """A model's paraphrase of the whole report, when an LLM paraphraser was given."""


class Perturbation(ABC):
    """Base class of every perturbation operator. One abstract method: ``apply``.

    ``name`` is the key in ``PERTURBATIONS`` and the pair's ``kind``; ``significant`` whether
    its variants carry a clinically significant error; ``description`` what it does, in the
    words the LLM judges' prompts show.
    """

    name: ClassVar[str]
    significant: ClassVar[bool]
    description: ClassVar[str]

    @abstractmethod
    def apply(self, source: Source, *, rng: random.Random) -> Variant | Skip:
        """Return the variant of ``source.report``, or why there is none."""


@dataclass
class PairSet:
    """Generated pairs and, per kind, how many reports were skipped and why."""

    pairs: list[Pair] = field(default_factory=list)
    skipped: dict[str, dict[str, int]] = field(default_factory=dict)
    references: int = 0
    seed: int = 0

    def by_kind(self) -> dict[str, list[Pair]]:
        grouped: dict[str, list[Pair]] = {}
        for pair in self.pairs:
            grouped.setdefault(pair.kind, []).append(pair)
        return grouped

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kind: pairs made and reports skipped."""
        made = Counter(pair.kind for pair in self.pairs)
        kinds = list(dict.fromkeys([*self.skipped, *made]))
        return {kind: {"pairs": made.get(kind, 0),
                       "skipped": sum(self.skipped.get(kind, {}).values())} for kind in kinds}

    def summary(self) -> dict[str, Any]:
        return {"references": self.references, "seed": self.seed, "pairs": len(self.pairs),
                "counts": self.counts(), "skipped": self.skipped}


def generate_pairs(
    reports: Iterable[Report],
    *,
    labelset: LabelSet,
    vocabulary: PerturbationVocabulary | None = None,
    kinds: Sequence[str] | None = None,
    seed: int = 0,
    paraphrases: Mapping[str, str] | None = None,
) -> PairSet:
    """One pair per report and kind (every registered kind unless ``kinds`` names some).

    ``paraphrases`` maps a report id to a model's paraphrase of it (see
    ``radprompt.significance.llm_judges.LLMParaphraser``); the ``paraphrase`` operator uses it
    instead of its sentence rewrites when it is there.
    """
    from radprompt.significance import PERTURBATIONS

    vocabulary = vocabulary or load_vocabulary(labelset=labelset)
    wanted = list(kinds) if kinds is not None else list(PERTURBATIONS)
    unknown = [kind for kind in wanted if kind not in PERTURBATIONS]
    if unknown:
        raise ValueError(f"unknown perturbation(s) {unknown}; known: {', '.join(PERTURBATIONS)}")
    operators = [PERTURBATIONS[kind]() for kind in wanted]
    reader = ReportReader(labelset=labelset)
    result = PairSet(seed=seed, skipped={kind: {} for kind in wanted})
    for report in reports:
        result.references += 1
        source = Source(report=report, analysis=reader.read(report.text), reader=reader,
                        labelset=labelset, vocabulary=vocabulary,
                        paraphrase=(paraphrases or {}).get(report.id))
        for operator in operators:
            rng = random.Random(f"{seed}|{report.id}|{operator.name}")
            outcome = operator.apply(source, rng=rng)
            if isinstance(outcome, Skip) or outcome.text == report.text:
                reason = outcome.reason if isinstance(outcome, Skip) else "no change"
                counts = result.skipped[operator.name]
                counts[reason] = counts.get(reason, 0) + 1
                continue
            result.pairs.append(Pair(
                id=f"{report.id}/{operator.name}", reference_id=report.id, kind=operator.name,
                significant=operator.significant, reference=report.text, variant=outcome.text,
                labels=outcome.labels, detail=outcome.detail,
            ))
    logger.info("%d pairs from %d reports", len(result.pairs), result.references)
    return result


def write_pairs(path: str | Path, pairs: PairSet) -> Path:
    """Write the pairs as JSONL and the counts beside them (``<name>.summary.json``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        for pair in pairs.pairs:
            handle.write(json.dumps(pair.to_json(), ensure_ascii=False) + "\n")
    summary = path.with_suffix(".summary.json")
    summary.write_text(json.dumps(pairs.summary(), indent=2) + "\n", encoding="utf-8")
    return summary


def read_pairs(path: str | Path) -> list[Pair]:
    """Read a pairs file written by ``write_pairs``; a malformed line raises ``InputError``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    pairs = []
    for number, line in enumerate(jsonl_text_lines(path.read_text(encoding="utf-8")), start=1):
        if not line.strip():
            continue
        try:
            pairs.append(Pair.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(path, f"not a pair: {exc}", where=f"line {number}") from exc
    if not pairs:
        raise InputError(path, "the file holds no pairs")
    return pairs
