"""ROUGE-1, ROUGE-2 and ROUGE-L (rouge-score's tokenizer and n-gram scoring).

Tokens are rouge-score's: lowercased, split at every character that is not a-z or 0-9 (so
"X-ray" is two tokens), optionally Porter-stemmed (words longer than 3 characters). Stemming is
off by default; RadEval turns it on (``use_stemmer=True`` reproduces its figures). Per sample:
precision, recall and F-measure of each type; the corpus scores are the mean F-measures. Each
distinct text is tokenized once, stems are cached, and ROUGE-L's longest common subsequence is
computed bit-parallel, so the scores equal ``rouge_score.rouge_scorer.RougeScorer``'s.

rouge-score's tokenizer drops every character outside a-z and 0-9, so on Chinese it finds no
tokens at all. A Chinese text is tokenized instead into its characters (each CJK character a
token, Latin words and numbers whole), or with ``chinese="jieba"`` into jieba's words; the
language of the pairs and the tokens used are stated in a note.

Example::

    >>> from radprompt.metrics.rouge import ROUGE
    >>> result = ROUGE().compute(predictions=["Small left pleural effusion."],
    ...                          references=["Small left effusion."])
    >>> sample = {key: float(values[0]) for key, values in result.per_sample.items()}
    >>> sample["rouge1_recall"], sample["rougeL_precision"]
    (1.0, 0.75)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from radprompt.languages import detect_language
from radprompt.metrics._language import language_note, pair_languages
from radprompt.metrics.base import Metric, MetricResult, mean_result, require

__all__ = ["ROUGE", "lcs_length"]

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")
CHINESE_TOKENS = ("char", "jieba")
_CHINESE_CHARACTERS = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[a-z0-9]+")
_WORD = re.compile(r"[\w]")


def lcs_length(first: Sequence[str], second: Sequence[str]) -> int:
    """Length of the longest common subsequence of two token lists (bit-parallel, Hyyrö 2004)."""
    if not first or not second:
        return 0
    masks: dict[str, int] = {}
    for position, token in enumerate(first):
        masks[token] = masks.get(token, 0) | (1 << position)
    full = (1 << len(first)) - 1
    row = full
    for token in second:
        match = row & masks.get(token, 0)
        row = ((row + match) | (row - match)) & full
    return len(first) - bin(row).count("1")


def _fmeasure(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0


class _Tokenizer:
    """rouge-score's tokenizer with every distinct text and word stemmed only once."""

    def __init__(self, *, use_stemmer: bool, chinese: str = "char") -> None:
        require("rouge_score", extra="metrics", needed_by="ROUGE")
        self._segment: Any = None
        if chinese == "jieba":
            self._segment = require("jieba", extra="zh", needed_by="ROUGE chinese=jieba").lcut
        from rouge_score import tokenize

        self._tokenize = tokenize.tokenize
        self._stemmer: Any = None
        if use_stemmer:
            from nltk.stem import porter

            stemmer = porter.PorterStemmer("ORIGINAL_ALGORITHM")
            self._stemmer = _CachedStemmer(stemmer)

        self._cache: dict[str, tuple[str, ...]] = {}

    def tokens(self, text: str) -> tuple[str, ...]:
        cached = self._cache.get(text)
        if cached is None:
            cached = self._cache[text] = (self._chinese(text) if detect_language(text) == "zh"
                                          else tuple(self._tokenize(text, self._stemmer)))
        return cached

    def _chinese(self, text: str) -> tuple[str, ...]:
        """Characters (Latin words whole), or jieba's words without punctuation."""
        if self._segment is None:
            return tuple(_CHINESE_CHARACTERS.findall(text.lower()))
        return tuple(word for word in self._segment(text.lower())
                     if word.strip() and _WORD.search(word))


class _CachedStemmer:
    def __init__(self, stemmer: Any) -> None:
        self.stem = lru_cache(maxsize=1 << 16)(stemmer.stem)


def _ngram_scores(target: Sequence[str], prediction: Sequence[str], n: int) -> tuple[float, ...]:
    from collections import Counter

    target_ngrams = Counter(zip(*(target[i:] for i in range(n)), strict=False))
    prediction_ngrams = Counter(zip(*(prediction[i:] for i in range(n)), strict=False))
    overlap = sum(min(count, prediction_ngrams[gram]) for gram, count in target_ngrams.items())
    precision = overlap / max(sum(prediction_ngrams.values()), 1)
    recall = overlap / max(sum(target_ngrams.values()), 1)
    return precision, recall, _fmeasure(precision, recall)


def _lcs_scores(target: Sequence[str], prediction: Sequence[str]) -> tuple[float, ...]:
    if not target or not prediction:
        return 0.0, 0.0, 0.0
    lcs = lcs_length(target, prediction)
    precision, recall = lcs / len(prediction), lcs / len(target)
    return precision, recall, _fmeasure(precision, recall)


class ROUGE(Metric):
    """ROUGE-1/2/L F-measure, precision and recall; ``use_stemmer`` as in rouge-score."""

    name = "rouge"
    description = "ROUGE-1, ROUGE-2, ROUGE-L (rouge-score tokenizer), mean F-measure"

    def __init__(self, *, use_stemmer: bool = False, chinese: str = "char") -> None:
        if chinese not in CHINESE_TOKENS:
            raise ValueError(f"rouge chinese must be one of {', '.join(CHINESE_TOKENS)}, "
                             f"not {chinese!r}")
        self.use_stemmer = use_stemmer
        self.chinese = chinese

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        tokenizer = _Tokenizer(use_stemmer=self.use_stemmer, chinese=self.chinese)
        languages = pair_languages(predictions, references)
        chinese = ("jieba words" if self.chinese == "jieba" else "characters") + " for Chinese"
        columns: dict[str, list[float]] = {
            f"{kind}{part}": [] for kind in ROUGE_TYPES
            for part in ("", "_precision", "_recall")
        }
        for prediction, reference in zip(predictions, references, strict=True):
            target, guess = tokenizer.tokens(reference), tokenizer.tokens(prediction)
            for kind, (precision, recall, fmeasure) in (
                ("rouge1", _ngram_scores(target, guess, 1)),
                ("rouge2", _ngram_scores(target, guess, 2)),
                ("rougeL", _lcs_scores(target, guess)),
            ):
                columns[kind].append(fmeasure)
                columns[f"{kind}_precision"].append(precision)
                columns[f"{kind}_recall"].append(recall)
        # Precision and recall are scores too (mean over samples, with intervals in the
        # summary): the ROUGE-N recall a hand count gives is rouge1_recall / rouge2_recall.
        return mean_result(
            self.name,
            {**{kind: columns[kind] for kind in ROUGE_TYPES},
             **{k: v for k, v in columns.items() if k not in ROUGE_TYPES}},
            primary="rougeL",
            notes=(f"rouge-score tokenizer, use_stemmer={self.use_stemmer}",
                   language_note(languages, tokens=f"rouge-score tokens for English, {chinese}")),
        )
