"""The seeds' worked example, with the exact figures each implementation gives.

Reference: "The chest X-ray shows evidence of pneumonia. No pleural effusion is present."
Generated: "The lungs show infection, and a small pleural effusion is visible."

The seeds quote ROUGE-1 recall 4/12, ROUGE-2 recall 2/10 and BLEU-2 about 0.25. Those are
whitespace counts: "X-ray" as one word gives 12 reference words, the generated text has 11
words and 10 bigrams, and pycocoevalcap's BLEU-2 (RadEval's) on whitespace tokens is 0.2462.
rouge-score's tokenizer splits "X-ray" into "x" and "ray" (13 reference tokens, 12 bigrams), so
the exact ROUGE figures are 4/13 and 2/12 with stemming off (with stemming "shows" matches
"show": 5/13). sacrebleu's 13a tokenizer keeps "X-ray" and splits off punctuation: BLEU-2 is
BP * sqrt(5/13 * 2/12) = 0.2344; with tokenize="none" it is RadEval's 0.2462.
"""

from __future__ import annotations

import math

import pytest

from radprompt.metrics import BLEU, ROUGE, Clinical, RanScore

REFERENCE = "The chest X-ray shows evidence of pneumonia. No pleural effusion is present."
GENERATED = "The lungs show infection, and a small pleural effusion is visible."


def sample(result, key):
    return float(result.per_sample[key][0])


def test_rouge_counts_with_rouge_score_tokenizer_and_no_stemming():
    result = ROUGE().compute(predictions=[GENERATED], references=[REFERENCE])
    assert sample(result, "rouge1_recall") == pytest.approx(4 / 13)
    assert sample(result, "rouge1_precision") == pytest.approx(4 / 11)
    assert sample(result, "rouge2_recall") == pytest.approx(2 / 12)
    assert sample(result, "rouge2_precision") == pytest.approx(2 / 10)
    assert sample(result, "rougeL_recall") == pytest.approx(4 / 13)
    assert result.scores["rouge1"] == pytest.approx(2 * (4 / 13) * (4 / 11) / (4 / 13 + 4 / 11))


def test_rouge_stemming_matches_shows_with_show():
    result = ROUGE(use_stemmer=True).compute(predictions=[GENERATED], references=[REFERENCE])
    assert sample(result, "rouge1_recall") == pytest.approx(5 / 13)
    assert sample(result, "rouge2_recall") == pytest.approx(2 / 12)


def test_the_seeds_4_of_12_is_a_whitespace_count():
    from rouge_score.tokenizers import DefaultTokenizer

    words = [w.strip(".,").lower() for w in REFERENCE.split()]
    generated = {w.strip(".,").lower() for w in GENERATED.split()}
    assert len(words) == 12 and sum(w in generated for w in words) == 4
    assert len(DefaultTokenizer(use_stemmer=False).tokenize(REFERENCE)) == 13


def test_bleu2_with_brevity_penalty():
    result = BLEU().compute(predictions=[GENERATED], references=[REFERENCE])
    brevity = math.exp(1 - 14 / 13)  # 13a: 13 generated tokens, 14 reference tokens
    assert result.scores["bleu1"] == pytest.approx(brevity * 5 / 13)
    assert result.scores["bleu2"] == pytest.approx(brevity * math.sqrt(5 / 13 * 2 / 12))
    assert result.scores["bleu2"] == pytest.approx(0.2344, abs=1e-4)


def test_bleu2_on_whitespace_tokens_is_radevals_quarter():
    result = BLEU(tokenize="none").compute(predictions=[GENERATED], references=[REFERENCE])
    brevity = math.exp(1 - 12 / 11)
    assert result.scores["bleu2"] == pytest.approx(brevity * math.sqrt(4 / 11 * 2 / 10))
    assert result.scores["bleu2"] == pytest.approx(0.2462, abs=1e-4)


def test_ranscore_flags_the_effusion_contradiction():
    result = RanScore(labelset="chestxray21").compute(predictions=[GENERATED],
                                                      references=[REFERENCE])
    pneumonia, effusion = result.per_label["pneumonia"], result.per_label["pleural_effusion"]
    assert (pneumonia["precision"], pneumonia["recall"], pneumonia["f1"]) == (1.0, 1.0, 1.0)
    assert (effusion["precision"], effusion["f1"], effusion["support"]) == (0.0, 0.0, 0.0)
    assert sample(result, "f1") == pytest.approx(2 / 3)  # TP pneumonia, FP effusion
    assert result.scores["micro_f1"] == pytest.approx(2 / 3)


def test_ranscore_on_the_two_labels():
    result = RanScore(labelset="chestxray21", labels=["pneumonia", "pleural_effusion"]).compute(
        predictions=[GENERATED], references=[REFERENCE])
    assert result.scores["micro_f1"] == pytest.approx(2 / 3)
    assert result.scores["macro_f1"] == pytest.approx(0.5)


def test_clinical_flags_the_effusion_contradiction():
    result = Clinical(labelset="chestxray21").compute(predictions=[GENERATED],
                                                      references=[REFERENCE])
    assert sample(result, "f1") == pytest.approx(2 / 3)
    assert sample(result, "sensitivity") == 1.0
    assert result.per_label["pleural_effusion"]["specificity"] == 0.0
    assert sample(result, "agreement") == pytest.approx(20 / 21)
