"""The Chinese demo split (issue 16 item 7): the same SYNTHETIC reports, in Chinese, same labels."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from radprompt.languages import detect_language

DEMO_ZH = Path(__file__).resolve().parents[1] / "experiments" / "demo-zh"


def _records(name: str) -> list[dict]:
    return [json.loads(line) for line in (DEMO_ZH / name).read_text(encoding="utf-8").splitlines()]


@pytest.mark.parametrize("split", ["train", "dev", "test"])
def test_each_chinese_report_has_its_english_reports_id_and_labels(split: str) -> None:
    chinese, english = _records(f"{split}.jsonl"), _records(f"{split}.en.jsonl")
    assert [r["id"] for r in chinese] == [r["id"] for r in english]
    assert [r["labels"] for r in chinese] == [r["labels"] for r in english]
    assert all(r["synthetic"] and r["language"] == "zh" for r in chinese)
    assert all(detect_language(r["text"]) == "zh" for r in chinese)
    assert all(detect_language(r["text"]) == "en" for r in english)


def test_at_least_150_reports_in_chinese() -> None:
    assert sum(len(_records(f"{split}.jsonl")) for split in ("train", "dev", "test")) >= 150


def test_every_english_template_has_one_chinese_line() -> None:
    lines = [line for line in (DEMO_ZH / "sentences.tsv").read_text(encoding="utf-8").splitlines()
             if line and not line.startswith("#")]
    english = [line.split("\t")[0] for line in lines]
    assert len(english) == len(set(english))
    chinese = [re.sub(r"\{\w+\}", "", line.split("\t")[1]) for line in lines]  # no slots
    assert all(detect_language(text) == "zh" for text in chinese)
