"""BLEU, ROUGE and METEOR equal the reference implementations they wrap."""

from __future__ import annotations

import random

import pytest

from radprompt.metrics import BLEU, METEOR, ROUGE, MissingDependencyError
from radprompt.metrics.meteor import find_wordnet, tokenize
from radprompt.metrics.rouge import lcs_length

TEXTS = [
    "The heart is normal in size. No pleural effusion or pneumothorax.",
    "Small right pleural effusion with adjacent atelectasis, increasing since yesterday.",
    "Mild cardiomegaly. Lungs are clear. Degenerative changes of the thoracic spine.",
    "Endotracheal tube tip 4 cm above the carina. Right IJ line in the SVC.",
    "",
    "No acute cardiopulmonary process.",
]


def pairs(seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    references = [rng.choice(TEXTS) for _ in range(30)]
    predictions = [rng.choice(TEXTS) for _ in range(30)]
    return predictions, references


def test_lcs_matches_rouge_scores_table():
    from rouge_score.rouge_scorer import _lcs_table

    rng = random.Random(1)
    for _ in range(300):
        a = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        b = [rng.choice("abcde") for _ in range(rng.randint(0, 70))]
        expected = _lcs_table(a, b)[-1][-1] if a and b else 0
        assert lcs_length(a, b) == expected


@pytest.mark.parametrize("use_stemmer", [False, True])
def test_rouge_equals_rouge_score(use_stemmer):
    from rouge_score.rouge_scorer import RougeScorer

    predictions, references = pairs()
    result = ROUGE(use_stemmer=use_stemmer).compute(predictions=predictions,
                                                    references=references)
    scorer = RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=use_stemmer)
    expected = [scorer.score(r, p) for p, r in zip(predictions, references, strict=True)]
    for kind in ("rouge1", "rouge2", "rougeL"):
        assert list(result.per_sample[kind]) == pytest.approx([e[kind].fmeasure for e in expected])
        assert list(result.per_sample[f"{kind}_recall"]) == pytest.approx(
            [e[kind].recall for e in expected])


@pytest.mark.parametrize("tokenize_name", ["13a", "none"])
def test_bleu_equals_sacrebleu(tokenize_name):
    from sacrebleu.metrics import bleu as sacrebleu_bleu

    predictions, references = pairs(2)
    result = BLEU(tokenize=tokenize_name).compute(predictions=predictions,
                                                  references=references)
    for order in (1, 2, 3, 4):
        expected = sacrebleu_bleu.BLEU(max_ngram_order=order, tokenize=tokenize_name).corpus_score(
            predictions, [references]).score / 100
        assert result.scores[f"bleu{order}"] == pytest.approx(expected)
    sentence = sacrebleu_bleu.BLEU(tokenize=tokenize_name, effective_order=True)
    assert list(result.per_sample["bleu4"]) == pytest.approx(
        [sentence.sentence_score(p, [r]).score / 100
         for p, r in zip(predictions, references, strict=True)])


def test_meteor_equals_nltk():
    try:
        find_wordnet()
    except MissingDependencyError as exc:
        pytest.skip(str(exc))
    from nltk.translate.meteor_score import meteor_score

    predictions, references = pairs(3)
    metric = METEOR()
    result = metric.compute(predictions=predictions, references=references)
    wordnet = metric.wordnet_._reader  # NLTK's own reader, without radprompt's caching
    expected = [meteor_score([tokenize(r)], tokenize(p), wordnet=wordnet)
                for p, r in zip(predictions, references, strict=True)]
    assert list(result.per_sample["meteor"]) == pytest.approx(expected)
    assert metric.compute(predictions=["enlarged heart"],
                            references=["heart enlarged"]).scores["meteor"] > 0


def test_meteor_without_wordnet_says_how_to_install(tmp_path):
    with pytest.raises(MissingDependencyError, match=r"install-wordnet\.sh"):
        METEOR(wordnet_dir=tmp_path).compute(predictions=["a"], references=["a"])
