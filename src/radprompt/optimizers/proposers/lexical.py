"""The lexical miner: rule-engine revisions mined from the contexts of training errors.

For each failing label it reads the sentences of its errors and proposes:

* missed synonyms (false negatives with no mention): n-grams of the findings sentences of the
  missed reports that are common there, rare in reports without the finding and worded in the
  label's own terms (``_meaning.MeaningIndex``: "thickened bronchial walls" for an airway
  label, never "lower lobes") -> ``add_phrase``;
* negation / uncertainty missed (false positives the reference negates or hedges): n-grams just
  before or after the mention -> ``add_cue`` (``negation_pre`` / ``negation_post`` /
  ``uncertainty_pre`` ...);
* negation applied wrongly (false negatives the engine negated): words in the sentence that
  should end the scope or that make a pseudo-negation -> ``add_cue`` (``termination`` /
  ``pseudo``);
* confusion (false positives the reference does not mention): the mention with its neighbour
  word -> ``add_exclusion``, or a phrase that is mostly wrong -> ``remove_phrase``.

Every candidate is tried alone on the training split with a one-label rule engine and kept
only if it raises that label's training F1. No model, no network.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from itertools import islice
from typing import ClassVar

from radprompt.extractors.rules import RulesExtractor, compile_phrases
from radprompt.labelset import Label, LabelSet
from radprompt.optimizers.analysis import Cause, ErrorExample
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.proposers._meaning import (
    MeaningIndex,
    finding_sentences,
    gapped_phrases,
    only_describes,
)
from radprompt.optimizers.proposers.base import ProposalContext, Proposer
from radprompt.reports import Dataset, Report
from radprompt.scoring import f1_score

__all__ = ["LexicalMiner"]

_TOKEN = re.compile(r"[a-z][a-z'\-]*")
_STOPWORDS = frozenset(
    "a an the of and or in on at to is are was were be been with for from by as this that "
    "there these those it its which has have had noted seen again also both".split()
)
_WINDOW = 5


def _tokens(text: str) -> list[str]:
    return [t for t in _TOKEN.findall(text.lower()) if t != "xxxx"]


def _ngrams(tokens: list[str], *, max_n: int) -> set[str]:
    grams = set()
    for n in range(1, max_n + 1):
        for i in range(len(tokens) - n + 1):
            gram = tokens[i : i + n]
            if gram[0] in _STOPWORDS or gram[-1] in _STOPWORDS:
                continue
            grams.add(" ".join(gram))
    return grams


class LexicalMiner(Proposer):
    """Mines phrases, cues and exclusions for the rule engine from training errors."""

    name: ClassVar[str] = "lexical"
    program_kinds: ClassVar[tuple[str, ...]] = ("rules",)

    def __init__(self, *, max_per_label: int = 6, candidates_per_cause: int = 25,
                 max_ngram: int = 4) -> None:
        self.max_per_label = max_per_label
        self.candidates_per_cause = candidates_per_cause
        self.max_ngram = max_ngram
        self._findings: re.Pattern[str] | None = None
        self._cue_words: re.Pattern[str] | None = None
        self._meaning: MeaningIndex | None = None
        self._ignored: tuple[str, ...] = ()

    def propose(self, context: ProposalContext) -> list[Revision]:
        if not isinstance(context.program, RulesProgram):
            raise TypeError("the lexical miner revises rule-engine programs only")
        labelset = context.program.labelset
        index = _NgramIndex(context.train, max_n=self.max_ngram,
                            ignored_sections=labelset.ignore_sections)
        self._meaning = MeaningIndex(labelset)
        self._ignored = labelset.ignore_sections
        self._findings = compile_phrases(
            (p for label in labelset.labels for p in label.mention_phrases), plural=True)
        self._cue_words = compile_phrases(
            (cue for label in labelset.labels for kind in ("negation_pre", "negation_post",
                                                           "uncertainty_pre", "uncertainty_post")
             for cue in getattr(labelset.cues_for(label), kind)), plural=False)
        proposals: list[Revision] = []
        for label_id, errors in context.errors.items():
            label = labelset.get(label_id)
            if label.derived is not None or not errors.examples:
                continue
            candidates = self._candidates(label, errors.examples, index, context.train)
            judge = _TrainJudge(labelset, label, context.train)
            scored = []
            for revision in candidates:
                if revision.key in context.rejected:
                    continue
                gain = judge.gain(revision)
                if gain > 0:
                    scored.append(_with_gain(revision, gain))
            # on a tie the longer, more specific wording ("thickened bronchial walls" over
            # "bronchial walls") is the one a clinician reads as the finding
            scored.sort(key=lambda r: (-r.gain, -len(str(r.value).split()), r.key))
            proposals.extend(_distinct(scored)[: self.max_per_label])
        return proposals

    def _candidates(
        self, label: Label, examples: list[ErrorExample], index: _NgramIndex, train: Dataset
    ) -> list[Revision]:
        mention = compile_phrases(label.mention_phrases, plural=True)
        by_cause: dict[str, list[ErrorExample]] = {}
        for example in examples:
            by_cause.setdefault(example.cause, []).append(example)
        candidates: list[Revision] = []

        missed = by_cause.get(Cause.MISSED_SYNONYM, [])
        if missed:
            candidates += self._synonyms(label, missed, index, train)
            candidates += self._gapped(label, missed)
        for example_cause, cue_kinds in (
            (Cause.NEGATION_SCOPE, ("negation_pre", "negation_post")),
            (Cause.UNCERTAINTY, ("uncertainty_pre", "uncertainty_post")),
        ):
            wrong_positive = [e for e in by_cause.get(example_cause, []) if e.error == "FP"]
            wrong_negative = [e for e in by_cause.get(example_cause, []) if e.error == "FN"]
            candidates += self._cues(label, wrong_positive, mention, cue_kinds, example_cause)
            candidates += self._scope_breakers(label, wrong_negative, mention, example_cause)
            if example_cause == Cause.UNCERTAINTY:
                # a hedge the engine read as a negation ("no definite pneumonia")
                candidates += self._cues(label, wrong_negative, mention,
                                         ("uncertainty_pre", "uncertainty_post"), example_cause)
        confused = by_cause.get(Cause.CONFUSION, [])
        if confused:
            candidates += self._exclusions(label, confused, mention)
        return candidates

    def _synonyms(self, label: Label, missed: list[ErrorExample], index: _NgramIndex,
                  train: Dataset) -> list[Revision]:
        counts: Counter[str] = Counter()
        for example in missed:
            counts.update(index.grams.get(example.report_id, set()))
        positives = {rid for rid, ref in train.references.items()
                     if ref.is_positive(label.id, train.policy(label))}
        known = {p.lower() for p in label.mention_phrases}
        ranked = []
        missed_sentences = [tokens for report_id in dict.fromkeys(e.report_id for e in missed)
                            for tokens in index.sentences.get(report_id, ())]
        for gram, hits in counts.items():
            if gram in known or hits < min(2, len(missed)) or self._is_cue_or_finding(gram):
                continue
            if self._meaning is not None and not self._meaning.anchored(label.id, gram):
                continue
            if _is_fragment(gram, missed_sentences):
                continue
            reports = index.reports_with(gram)
            precision = len(reports & positives) / len(reports)
            if precision >= 0.5:
                ranked.append((hits * precision, gram))
        ranked.sort(key=lambda item: (-item[0], item[1]))
        return [
            Revision(kind="add_phrase", label_id=label.id, value=gram, cause=Cause.MISSED_SYNONYM,
                     proposer=self.name,
                     rationale=f"{hits:.0f} missed report(s) say {gram!r}",
                     evidence=tuple(e.report_id for e in missed
                                    if gram in index.grams.get(e.report_id, ()))[:10])
            for hits, gram in ranked[: self.candidates_per_cause]
        ]

    def _gapped(self, label: Label, missed: list[ErrorExample]) -> list[Revision]:
        """The label's own two-word phrases with a few words between them (not those it reads
        as uncertain by themselves: a gapped copy would read them present)."""
        found = gapped_phrases((*label.phrases, *label.synonyms),
                               {e.report_id: e.sentence for e in missed},
                               ignored_sections=self._ignored)
        return [
            Revision(kind="add_phrase", label_id=label.id, value=gapped,
                     cause=Cause.MISSED_SYNONYM, proposer=self.name,
                     rationale=f"{len(ids)} missed report(s) say {gapped!r} ('*' = up to three "
                               "words)", evidence=tuple(ids)[:10])
            for gapped, ids in sorted(found.items())
            if len(ids) >= min(2, len(missed)) and gapped not in label.mention_phrases]

    def _cues(self, label: Label, examples: list[ErrorExample], mention: re.Pattern[str] | None,
              kinds: tuple[str, str], cause: str) -> list[Revision]:
        before: Counter[str] = Counter()
        after: Counter[str] = Counter()
        evidence: dict[str, list[str]] = {}
        for example in examples:
            for left, right in _around_mentions(example.sentence, mention):
                for gram in _ngrams(left[-_WINDOW:], max_n=self.max_ngram):
                    before[gram] += 1
                    evidence.setdefault(f"pre:{gram}", []).append(example.report_id)
                for gram in _ngrams(right[:_WINDOW], max_n=self.max_ngram):
                    after[gram] += 1
                    evidence.setdefault(f"post:{gram}", []).append(example.report_id)
        revisions = []
        for counter, kind, side in ((before, kinds[0], "pre"), (after, kinds[1], "post")):
            for gram, hits in self._cue_like(counter):
                revisions.append(Revision(
                    kind="add_cue", label_id=label.id, value=gram, cue=kind, cause=cause,
                    proposer=self.name,
                    rationale=f"{hits} wrongly positive sentence(s) have {gram!r} "
                              f"{'before' if side == 'pre' else 'after'} the finding",
                    evidence=tuple(dict.fromkeys(evidence[f"{side}:{gram}"]))[:10],
                ))
        return revisions

    def _scope_breakers(self, label: Label, examples: list[ErrorExample],
                        mention: re.Pattern[str] | None, cause: str) -> list[Revision]:
        words: Counter[str] = Counter()
        pseudo: Counter[str] = Counter()
        for example in examples:
            for left, _right in _around_mentions(example.sentence, mention):
                for token in left[-_WINDOW * 2:]:
                    if token not in _STOPWORDS:
                        words[token] += 1
                for i in range(len(left) - 1):
                    pseudo[" ".join(left[i : i + 2])] += 1
        revisions = []
        for counter, cue in ((words, "termination"), (pseudo, "pseudo")):
            for gram, hits in self._cue_like(counter):
                revisions.append(Revision(
                    kind="add_cue", label_id=label.id, value=gram, cue=cue, cause=cause,
                    proposer=self.name,
                    rationale=f"{hits} finding(s) wrongly negated or hedged near {gram!r}",
                    evidence=tuple(e.report_id for e in examples)[:10],
                ))
        return revisions

    def _is_cue_or_finding(self, gram: str) -> bool:
        """A new synonym must not carry a cue ("without") or another finding's name."""
        return any(p is not None and p.search(gram) for p in (self._cue_words, self._findings))

    def _cue_like(self, counter: Counter[str]) -> list[tuple[str, int]]:
        """The most common n-grams that name no finding (a finding word is never a cue) and
        say more than where or how much ("right", "small": ``only_describes``)."""
        kept = ((gram, hits) for gram, hits in counter.most_common()
                if (self._findings is None or not self._findings.search(gram))
                and not only_describes(gram))
        return list(islice(kept, self.candidates_per_cause))

    def _exclusions(self, label: Label, examples: list[ErrorExample],
                    mention: re.Pattern[str] | None) -> list[Revision]:
        contexts: Counter[str] = Counter()
        phrases: Counter[str] = Counter()
        for example in examples:
            if mention is None:
                continue
            for match in mention.finditer(example.sentence):
                phrase = match.group(0).lower()
                phrases[phrase] += 1
                left = _tokens(example.sentence[: match.start()])[-2:]
                right = _tokens(example.sentence[match.end():])[:2]
                for i in range(len(left)):
                    contexts[" ".join([*left[i:], phrase])] += 1
                for j in range(1, len(right) + 1):
                    contexts[" ".join([phrase, *right[:j]])] += 1
        revisions = [
            Revision(kind="add_exclusion", label_id=label.id, value=context,
                     cause=Cause.CONFUSION, proposer=self.name,
                     rationale=f"{hits} false positive(s) come from {context!r}",
                     evidence=tuple(e.report_id for e in examples)[:10])
            for context, hits in contexts.most_common(self.candidates_per_cause)
        ]
        known = {p.lower(): p for p in label.mention_phrases}
        for phrase, hits in phrases.most_common(5):
            original = known.get(phrase) or known.get(phrase.rstrip("s"))
            if original is not None:
                revisions.append(Revision(
                    kind="remove_phrase", label_id=label.id, value=original,
                    cause=Cause.CONFUSION, proposer=self.name,
                    rationale=f"{hits} false positive(s) are matched by {original!r}",
                    evidence=tuple(e.report_id for e in examples)[:10]))
        return revisions


def _around_mentions(
    sentence: str, mention: re.Pattern[str] | None
) -> Iterable[tuple[list[str], list[str]]]:
    if mention is None:
        return
    for match in mention.finditer(sentence):
        yield _tokens(sentence[: match.start()]), _tokens(sentence[match.end():])


def _is_fragment(gram: str, sentences: list[list[str]]) -> bool:
    """Is ``gram`` always followed by the same word where it was mined? Then that word is the
    noun it describes ('tracheal air' of 'tracheal air column'), and the gram names a part of
    the phrase, not the finding."""
    words = gram.split()
    followers = {
        tokens[i + len(words)] if i + len(words) < len(tokens) else None
        for tokens in sentences for i in range(len(tokens) - len(words) + 1)
        if tokens[i:i + len(words)] == words}
    return len(followers) == 1 and None not in followers and not followers & _STOPWORDS


def _with_gain(revision: Revision, gain: float) -> Revision:
    return Revision(**{**revision.__dict__, "gain": round(gain, 6)})


def _distinct(revisions: list[Revision]) -> list[Revision]:
    """Drop a candidate whose value is contained in a better one of the same kind and label."""
    kept: list[Revision] = []
    for revision in revisions:
        if any(k.kind == revision.kind and k.cue == revision.cue and (
                str(revision.value) in str(k.value) or str(k.value) in str(revision.value))
               for k in kept):
            continue
        kept.append(revision)
    return kept


class _NgramIndex:
    """Per-report findings sentences (as tokens) and n-gram sets of the training split (never
    across two sentences), and the reverse index."""

    def __init__(self, dataset: Dataset, *, max_n: int, ignored_sections: Iterable[str] = ()
                 ) -> None:
        self.sentences = {
            r.id: [_tokens(sentence)
                   for sentence in finding_sentences(r.text, ignored_sections=ignored_sections)]
            for r in dataset.reports}
        self.grams = {
            report_id: {gram for tokens in sentences for gram in _ngrams(tokens, max_n=max_n)}
            for report_id, sentences in self.sentences.items()}
        self._reverse: dict[str, set[str]] = {}
        for report_id, grams in self.grams.items():
            for gram in grams:
                self._reverse.setdefault(gram, set()).add(report_id)

    def reports_with(self, gram: str) -> set[str]:
        return self._reverse.get(gram, set())


class _TrainJudge:
    """Scores one label on the training split with a one-label rule engine.

    A revision can only change the reading of a report that contains its words, so a
    candidate is run on those reports only and the others keep the baseline's outcome (the
    same F1 as a run over the whole split, at a fraction of the cost)."""

    def __init__(self, labelset: LabelSet, label: Label, train: Dataset) -> None:
        self.labelset = labelset.model_copy(update={"labels": (label,)})
        self.label = label
        self.reports = [r for r in train.reports if r.id in train.references]
        self.references = train.references
        self.policy = train.policy(label)
        self._lower = {r.id: r.text.lower() for r in self.reports}
        self._base = self._outcomes(RulesProgram(labelset=self.labelset), self.reports)
        self.baseline = _f1(self._base.values())

    def _outcomes(self, program: Program, reports: list[Report]) -> dict[str, tuple[bool, bool]]:
        """(gold, guess) per report."""
        extractor = program.build_extractor()
        assert isinstance(extractor, RulesExtractor)
        policy = self.policy
        return {r.id: (self.references[r.id].is_positive(self.label.id, policy),
                       extractor.extract_report(r).is_positive(self.label.id, policy))
                for r in reports}

    def gain(self, revision: Revision) -> float:
        try:
            revised = RulesProgram(labelset=self.labelset).apply([revision])
        except ValueError:
            return 0.0
        keys = [word[:4] for word in _TOKEN.findall(str(revision.value).lower())]
        touched = [r for r in self.reports if all(k in self._lower[r.id] for k in keys)]
        outcomes = {**self._base, **self._outcomes(revised, touched)}
        return _f1(outcomes.values()) - self.baseline


def _f1(outcomes: Iterable[tuple[bool, bool]]) -> float:
    tp = fp = fn = 0
    for gold, guess in outcomes:
        tp += gold and guess
        fp += guess and not gold
        fn += gold and not guess
    return f1_score(tp, fp, fn)
