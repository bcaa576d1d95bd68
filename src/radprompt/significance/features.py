"""Finding-level features of a (reference, candidate) report pair, for the trained metric.

Both reports are read by the rule engine, whole and sentence by sentence. Per label (derived
labels such as No Finding left out), the states are compared, and for a finding positive on
both sides, the side, severity, size and device position read from the sentences that state
it. The features, all counts or distances, are:

- ``added_findings``: positive in the candidate, not mentioned in the reference;
- ``removed_findings``: positive in the reference, not mentioned in the candidate;
- ``negation_flips``: positive on one side, ruled out (absent) on the other;
- ``certainty_changes``: present on one side, uncertain on the other;
- ``negative_mention_changes``: ruled out on one side, not mentioned on the other;
- ``laterality_mismatches``: both name a side and the sides differ;
- ``severity_mismatch``: summed distance on the severity scale where both name a severity;
- ``measurement_mismatch``: summed ``|ln(size ratio)|`` of the largest measurements;
- ``device_position_mismatches``: one side says malpositioned, the other does not;
- ``disagree:<label id>``: per label, 1 when one side is positive and the other is not.

Example::

    >>> from radprompt.labelset import load_labelset
    >>> features = FindingFeatures(labelset=load_labelset("chestxray21"))
    >>> row = features.pair_features(reference="Small left pleural effusion.",
    ...                              candidate="Large right pleural effusion.")
    >>> row["laterality_mismatches"], row["severity_mismatch"], row["removed_findings"]
    (1.0, 2.0, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from radprompt.findings import State
from radprompt.labelset import LabelSet
from radprompt.significance.analysis import ReportAnalysis, ReportReader
from radprompt.significance.vocabulary import PerturbationVocabulary, load_vocabulary

if TYPE_CHECKING:
    import numpy as np

__all__ = ["AGGREGATE_FEATURES", "FindingFeatures", "FindingProfile"]

AGGREGATE_FEATURES = (
    "added_findings",
    "removed_findings",
    "negation_flips",
    "certainty_changes",
    "negative_mention_changes",
    "laterality_mismatches",
    "severity_mismatch",
    "measurement_mismatch",
    "device_position_mismatches",
)
LABEL_PREFIX = "disagree:"
_POSITIVE = (State.PRESENT, State.UNCERTAIN)


@dataclass(frozen=True)
class FindingProfile:
    """What the sentences stating one positive finding say about it."""

    sides: frozenset[str]
    severity: float | None
    size_mm: float | None
    malpositioned: bool


class FindingFeatures:
    """Turns report pairs into the feature rows above (``feature_names`` orders the columns)."""

    def __init__(
        self, *, labelset: LabelSet, vocabulary: PerturbationVocabulary | None = None
    ) -> None:
        self.labelset = labelset
        self.vocabulary = vocabulary or load_vocabulary(labelset=labelset)
        self._reader = ReportReader(labelset=labelset)

    @property
    def label_ids(self) -> list[str]:
        return [label.id for label in self.labelset.labels if label.derived is None]

    @property
    def feature_names(self) -> list[str]:
        return [*AGGREGATE_FEATURES, *(LABEL_PREFIX + label_id for label_id in self.label_ids)]

    def profile(self, analysis: ReportAnalysis, label_id: str) -> FindingProfile:
        sentences = analysis.positive_sentences(label_id)
        vocabulary = self.vocabulary
        sides: frozenset[str] = frozenset().union(*(vocabulary.sides_of(s.text)
                                                    for s in sentences))
        severities = [level for s in sentences
                      if (level := vocabulary.severity_of(s.text)) is not None]
        sizes = [size for s in sentences for size in vocabulary.measurements_of(s.text)]
        return FindingProfile(
            sides=sides,
            severity=max(severities) if severities else None,
            size_mm=max(sizes) if sizes else None,
            malpositioned=any(vocabulary.malpositioned(s.text) for s in sentences),
        )

    def pair_features(self, *, reference: str, candidate: str) -> dict[str, float]:
        """The features of one pair, by name."""
        ref, cand = self._reader.read(reference), self._reader.read(candidate)
        row = dict.fromkeys(self.feature_names, 0.0)
        for label_id in self.label_ids:
            r_state, c_state = ref.state(label_id), cand.state(label_id)
            r_pos, c_pos = r_state in _POSITIVE, c_state in _POSITIVE
            if r_pos != c_pos:
                row[LABEL_PREFIX + label_id] = 1.0
                other = c_state if r_pos else r_state
                if other is State.ABSENT:
                    row["negation_flips"] += 1
                elif r_pos:
                    row["removed_findings"] += 1
                else:
                    row["added_findings"] += 1
            elif r_pos:
                if r_state != c_state:
                    row["certainty_changes"] += 1
                self._compare_attributes(row, self.profile(ref, label_id),
                                         self.profile(cand, label_id))
            elif r_state != c_state:
                row["negative_mention_changes"] += 1
        return row

    @staticmethod
    def _compare_attributes(row: dict[str, float], ref: FindingProfile,
                            cand: FindingProfile) -> None:
        if ref.sides and cand.sides and ref.sides != cand.sides:
            row["laterality_mismatches"] += 1
        if ref.severity is not None and cand.severity is not None:
            row["severity_mismatch"] += abs(ref.severity - cand.severity)
        if ref.size_mm and cand.size_mm:
            row["measurement_mismatch"] += abs(math.log(ref.size_mm / cand.size_mm))
        if ref.malpositioned != cand.malpositioned:
            row["device_position_mismatches"] += 1

    def transform(self, *, references: Sequence[str], candidates: Sequence[str]) -> np.ndarray:
        """An ``(n, len(feature_names))`` array, one row per pair."""
        import numpy as np

        if len(references) != len(candidates):
            raise ValueError(f"{len(references)} references but {len(candidates)} candidates")
        names = self.feature_names
        rows = [self.pair_features(reference=r, candidate=c)
                for r, c in zip(references, candidates, strict=True)]
        return np.array([[row[name] for name in names] for row in rows], dtype=float).reshape(
            len(rows), len(names))
