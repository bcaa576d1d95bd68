"""METEOR (NLTK, with WordNet 3.0 synonyms): unigram alignment with stems and synonyms.

Texts are lowercased and split into words (hyphenated words such as "x-ray" stay whole) and
punctuation marks. Per sample: NLTK's ``meteor_score`` with its default parameters (alpha 0.9,
beta 3, gamma 0.5); the corpus score is the mean. WordNet synonym sets and Porter stems are
looked up once per distinct word.

WordNet is read from disk, never downloaded: ``scripts/install-wordnet.sh`` copies Debian's
``wordnet-base`` and ``wordnet-sense-index`` into ``<venv>/nltk_data/corpora/wordnet``. The
folder is found at ``wordnet_dir=`` when given, else under each ``$NLTK_DATA`` folder, else
under ``<venv>/nltk_data`` and NLTK's usual data folders.

METEOR is English-only (English WordNet synonyms, Porter stems, words split at spaces): a pair
in another language (Chinese) is not scored (NaN, left out of the mean) and a note says how
many, rather than a number that means nothing.

Example::

    >>> from radprompt.metrics.meteor import METEOR
    >>> result = METEOR().compute(predictions=["The heart is enlarged."],
    ...                           references=["The heart is enlarged."])
    >>> round(result.scores["meteor"], 3)
    0.996
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from radprompt.metrics._language import ENGLISH_ONLY, language_note, pair_languages
from radprompt.metrics.base import (
    Metric,
    MetricResult,
    MissingDependencyError,
    mean_result,
    require,
)

__all__ = ["METEOR", "find_wordnet"]

_WORDS = re.compile(r"[a-z0-9]+(?:['\-][a-z0-9]+)*|[^\sa-z0-9]")
_WORDNET_FILES = ("lexnames", "index.noun", "data.noun", "noun.exc", "index.sense")


def tokenize(text: str) -> list[str]:
    """Lowercased words (hyphens and apostrophes inside a word kept) and punctuation marks."""
    return _WORDS.findall(text.lower())


def _candidate_folders() -> list[Path]:
    folders = [Path(p) for p in os.environ.get("NLTK_DATA", "").split(os.pathsep) if p]
    folders.append(Path(sys.prefix) / "nltk_data")
    try:
        import nltk.data

        folders += [Path(p) for p in nltk.data.path]
    except ImportError:
        pass
    return folders


def find_wordnet(wordnet_dir: str | Path | None = None) -> Path:
    """The WordNet folder METEOR reads, or ``MissingDependencyError`` saying how to install it."""
    if wordnet_dir is not None:
        candidates = [Path(wordnet_dir)]
    else:
        candidates = [folder / "corpora" / "wordnet" for folder in _candidate_folders()]
    for candidate in candidates:
        if all((candidate / name).is_file() for name in _WORDNET_FILES):
            return candidate
    looked = ", ".join(str(c) for c in candidates[:4])
    raise MissingDependencyError(
        f"METEOR needs WordNet 3.0 and found none (looked in {looked}); install it offline "
        "with scripts/install-wordnet.sh (Debian's wordnet-base and wordnet-sense-index), "
        "or point NLTK_DATA at a folder holding corpora/wordnet"
    )


class _Lemma:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def name(self) -> str:
        return self._name


class _SynonymSet:
    """Every lemma of a word's synsets at once: all METEOR reads of them."""

    __slots__ = ("_lemmas",)

    def __init__(self, names: Sequence[str]) -> None:
        self._lemmas = tuple(_Lemma(name) for name in dict.fromkeys(names))

    def lemmas(self) -> tuple[_Lemma, ...]:
        return self._lemmas


class _CachedWordNet:
    """The slice of NLTK's WordNet reader that METEOR uses, with one lookup per word."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        self._cache: dict[str, tuple[_SynonymSet, ...]] = {}

    def synsets(self, word: str) -> tuple[_SynonymSet, ...]:
        cached = self._cache.get(word)
        if cached is None:
            names = [lemma.name() for synset in self._reader.synsets(word)
                     for lemma in synset.lemmas()]
            cached = self._cache[word] = (_SynonymSet(names),) if names else ()
        return cached


class _CachedStemmer:
    def __init__(self, stemmer: Any) -> None:
        self._stemmer = stemmer
        self._cache: dict[str, str] = {}

    def stem(self, word: str) -> str:
        cached = self._cache.get(word)
        if cached is None:
            cached = self._cache[word] = self._stemmer.stem(word)
        return cached


class METEOR(Metric):
    """METEOR; ``wordnet_dir`` is a folder with WordNet 3.0's database files."""

    name = "meteor"
    description = "METEOR (NLTK, WordNet synonyms and Porter stems), mean over samples"

    def __init__(self, *, wordnet_dir: str | Path | None = None) -> None:
        self.wordnet_dir = wordnet_dir

    def _load(self) -> tuple[_CachedWordNet, _CachedStemmer]:
        if getattr(self, "wordnet_", None) is None:
            require("nltk", extra="metrics", needed_by="METEOR")
            from nltk.corpus.reader.wordnet import WordNetCorpusReader
            from nltk.stem.porter import PorterStemmer

            folder = find_wordnet(self.wordnet_dir)
            with warnings.catch_warnings():
                # "multilingual functions are not available": METEOR needs English only.
                warnings.simplefilter("ignore", UserWarning)
                reader = WordNetCorpusReader(str(folder), None)
            self.wordnet_ = _CachedWordNet(reader)
            self.stemmer_ = _CachedStemmer(PorterStemmer())
        return self.wordnet_, self.stemmer_

    def _compute(self, *, predictions: Sequence[str], references: Sequence[str]) -> MetricResult:
        languages = pair_languages(predictions, references)
        if ENGLISH_ONLY not in languages:  # nothing to score: WordNet is not needed
            return mean_result(self.name, {"meteor": [float("nan")] * len(languages)},
                               primary="meteor", notes=(_english_only(languages),))
        wordnet, stemmer = self._load()
        from nltk.translate.meteor_score import single_meteor_score

        tokens: dict[str, list[str]] = {}
        scores = []
        for prediction, reference, language in zip(predictions, references, languages,
                                                   strict=True):
            if language != ENGLISH_ONLY:
                scores.append(float("nan"))
                continue
            hypothesis = tokens.get(prediction) or tokens.setdefault(prediction,
                                                                     tokenize(prediction))
            target = tokens.get(reference) or tokens.setdefault(reference, tokenize(reference))
            scores.append(single_meteor_score(
                target, hypothesis, stemmer=stemmer, wordnet=wordnet,
            ))
        return mean_result(self.name, {"meteor": scores}, primary="meteor",
                           notes=("NLTK METEOR with WordNet 3.0", _english_only(languages)))


def _english_only(languages: Sequence[str]) -> str:
    other = sum(language != ENGLISH_ONLY for language in languages)
    tokens = "English words and WordNet"
    if other:
        tokens += (f"; METEOR is English-only: {other} non-English pair(s) not scored (NaN, "
                   "left out of the mean)")
    return language_note(languages, tokens=tokens)
