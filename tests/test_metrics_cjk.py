"""Metrics on reports in Chinese (issue 16 item 5). Every sentence here is SYNTHETIC."""

from __future__ import annotations

import importlib.util
import json
import math

import pytest
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.metrics.bertscore import BERTScore
from radprompt.metrics.bleu import BLEU
from radprompt.metrics.meteor import METEOR
from radprompt.metrics.readability import Readability
from radprompt.metrics.rouge import ROUGE

REPORT = "双肺纹理清晰，未见明显实变。心影不大。双侧肋膈角锐利。"
OTHER = "右下肺斑片影，考虑肺炎。左侧少量胸腔积液。"


@pytest.mark.parametrize("chinese", ["char", "jieba"])
def test_rouge_of_a_chinese_report_against_itself_is_one(chinese: str) -> None:
    if chinese == "jieba" and importlib.util.find_spec("jieba") is None:
        pytest.skip("jieba is not installed (radprompt[zh])")
    result = ROUGE(chinese=chinese).compute(predictions=[REPORT], references=[REPORT])
    assert result.scores["rouge1"] == result.scores["rouge2"] == result.scores["rougeL"] == 1.0
    assert any("zh on 1 of 1 pairs" in note for note in result.notes)


def test_rouge_on_chinese_counts_characters_not_nothing() -> None:
    half = ROUGE().compute(predictions=["未见气胸。"], references=["未见胸腔积液。"])
    # rouge-score's own tokenizer finds no token in Chinese and would give 0 here; by
    # characters 未 见 胸 are shared: precision 3/4, recall 3/6
    assert half.scores["rouge1"] == pytest.approx(2 * (3 / 4 * 3 / 6) / (3 / 4 + 3 / 6))
    unrelated = ROUGE().compute(predictions=[OTHER], references=[REPORT])
    assert unrelated.scores["rougeL"] < half.scores["rougeL"]


def test_bleu_of_a_chinese_report_against_itself_is_one() -> None:
    result = BLEU().compute(predictions=[REPORT, OTHER], references=[REPORT, OTHER])
    assert result.scores["bleu4"] == pytest.approx(1.0)
    assert "sacrebleu tokenize=zh" in result.notes[0]
    assert "zh on 2 of 2 pairs" in result.notes[1]


def test_bleu_picks_13a_for_english_and_keeps_an_explicit_tokenizer() -> None:
    english = BLEU().compute(predictions=["No pneumothorax."], references=["No pneumothorax."])
    assert "sacrebleu tokenize=13a" in english.notes[0]
    forced = BLEU(tokenize="none").compute(predictions=[REPORT], references=[OTHER])
    assert "sacrebleu tokenize=none" in forced.notes[0]


def test_bleu_on_chinese_is_not_zero_for_a_close_report() -> None:
    result = BLEU().compute(predictions=["双肺纹理清晰，未见明显实变。心影增大。"],
                            references=[REPORT])
    assert 0.3 < result.scores["bleu4"] < 1.0


def test_meteor_and_readability_leave_chinese_unscored_and_say_so() -> None:
    meteor = METEOR().compute(predictions=[REPORT], references=[REPORT])
    assert math.isnan(meteor.scores["meteor"])
    assert "METEOR is English-only: 1 non-English pair(s) not scored" in meteor.notes[0]
    readability = Readability().compute(predictions=[REPORT], references=[OTHER])
    assert math.isnan(readability.scores["flesch_reading_ease"])
    assert any("English-only: 2 non-English text(s)" in note for note in readability.notes)


def test_bertscore_refuses_an_english_only_encoder_on_chinese() -> None:
    with pytest.raises(ValueError, match="all-MiniLM-L6-v2 reads English only, and 1 of 1"):
        BERTScore().compute(predictions=[REPORT], references=[REPORT])
    assert BERTScore(model="/models/paraphrase-multilingual-MiniLM-L12-v2").reads_chinese()
    assert BERTScore(model="/models/my-encoder", multilingual=True).reads_chinese()
    assert not BERTScore(model="/models/roberta-large").reads_chinese()


def test_evaluate_prints_the_language_it_chose(tmp_path) -> None:
    def write(name: str, texts: list[str]):
        path = tmp_path / name
        path.write_text("".join(json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) + "\n"
                                for i, t in enumerate(texts)), encoding="utf-8")
        return path

    texts = [REPORT, OTHER] * 3
    refs, same = write("refs.jsonl", texts), write("same.jsonl", texts)
    result = CliRunner().invoke(app, [
        "evaluate", "-r", str(refs), "-g", f"same={same}", "--metrics", "bleu,rouge",
        "--resamples", "50", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "sacrebleu tokenizer zh" in output and "characters for Chinese" in output
