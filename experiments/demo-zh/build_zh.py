"""Render the demo corpus in Chinese: the same reports, sentence for sentence, with the same labels.

SYNTHETIC. The English demo corpus (``experiments/demo``) is composed from hand-written
sentence templates; ``sentences.tsv`` gives each template in Chinese and ``headers.tsv`` each
header value and closing line, all written by the radprompt authors. This script composes the
English corpus exactly as ``experiments/demo/build_corpus.py`` does (same seed), records which
template and slot values produced every sentence, and writes each report again in Chinese with
the English report's labels. It also writes the English reports it rendered from
(``<split>.en.jsonl``), so the two languages can be compared report for report even while the
English banks change.

    python experiments/demo-zh/build_zh.py          # writes train/dev/test(.en).jsonl here
    python experiments/demo-zh/build_zh.py --check  # exit 1 if the files on disk are stale

A sentence or header with no Chinese counterpart stops the build and is named.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from slots_zh import chinese_slots

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent / "demo"
SPLITS = ("train", "dev", "test")
SECTION_KEYS = {
    "EXAMINATION": "检查项目", "EXAM": "检查项目", "INDICATION": "临床病史",
    "HISTORY": "临床病史", "CLINICAL HISTORY": "临床病史", "REASON FOR EXAM": "临床病史",
    "TECHNIQUE": "检查技术", "COMPARISON": "对比", "FINDINGS": "影像所见",
    "IMPRESSION": "诊断意见", "FINDINGS/IMPRESSION": "影像所见及诊断",
    "FINDINGS AND IMPRESSION": "影像所见及诊断",
}
BODY_SECTIONS = ("FINDINGS", "IMPRESSION", "FINDINGS/IMPRESSION", "FINDINGS AND IMPRESSION")
_HEADER = re.compile(r"^(?P<key>[A-Za-z][A-Za-z /]*?):(?P<rest>.*)$")
_NUMBER = re.compile(r"(\d{1,2})\.\s+")
Rendered = dict[str, tuple[str, dict[str, str]]]


def read_pairs(path: Path) -> dict[str, str]:
    """``English<TAB>Chinese`` lines (``#`` comments skipped) as a mapping."""
    pairs: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        english, sep, chinese = line.partition("\t")
        if not sep or not chinese.strip():
            raise SystemExit(f"{path.name}:{number}: expected 'English<TAB>Chinese'")
        pairs[english] = chinese.strip()
    return pairs


def english_corpus() -> tuple[dict[str, list[dict[str, Any]]], Rendered]:
    """The English demo corpus, and for every sentence the template and slots behind it."""
    sys.path.insert(0, str(DEMO))
    import build_corpus  # type: ignore[import-not-found]
    import sentences  # type: ignore[import-not-found]

    rendered: Rendered = {}
    original: Callable[[str, dict[str, str]], str] = sentences.render

    def recording(template: str, slots: dict[str, str]) -> str:
        text = original(template, slots)
        rendered.setdefault(text, (template, dict(slots)))
        return text

    sentences.render = recording
    try:
        splits = build_corpus.build_corpus()
    finally:
        sentences.render = original
    return splits, rendered


class Translator:
    """Turns one English demo report into Chinese, sentence by sentence."""

    def __init__(self, rendered: Rendered, templates: dict[str, str],
                 lines: dict[str, str]) -> None:
        self.rendered = rendered
        self.templates = templates
        self.lines = lines
        known = sorted({*rendered, *lines}, key=len, reverse=True)
        self._sentence = re.compile("|".join(re.escape(k) for k in known))
        self.missing: set[str] = set()

    def report(self, text: str) -> str:
        return "\n".join(self._line(line) for line in text.split("\n"))

    def _line(self, line: str) -> str:
        match = _HEADER.match(line)
        key = match.group("key").strip().upper() if match else ""
        if match is None or key not in SECTION_KEYS:
            return self._body(line)
        rest = match.group("rest").strip()
        if key in BODY_SECTIONS:
            return f"{SECTION_KEYS[key]}：{self._body(rest)}"
        return f"{SECTION_KEYS[key]}：{self._line_value(rest)}"

    def _line_value(self, value: str) -> str:
        if value not in self.lines:
            self.missing.add(value)
        return self.lines.get(value, value)

    def _body(self, text: str) -> str:
        out: list[str] = []
        position = 0
        while position < len(text):
            if text[position].isspace():
                position += 1
                continue
            number = _NUMBER.match(text, position)
            if number is not None:
                out.append(f"{number.group(1)}.")
                position = number.end()
                continue
            sentence = self._sentence.match(text, position)
            if sentence is None:
                self.missing.add(text[position:])
                return text
            out.append(self._sentence_zh(sentence.group()))
            position = sentence.end()
        return "".join(out)

    def _sentence_zh(self, english: str) -> str:
        if english in self.lines:
            return self.lines[english]
        template, slots = self.rendered[english]
        chinese = self.templates.get(template)
        if chinese is None:
            self.missing.add(template)
            return english
        return chinese.format(**chinese_slots(slots))


def build() -> dict[Path, str]:
    """Every output file and its content."""
    splits, rendered = english_corpus()
    translator = Translator(rendered, read_pairs(HERE / "sentences.tsv"),
                            read_pairs(HERE / "headers.tsv"))
    outputs: dict[Path, str] = {}
    for split in SPLITS:
        english = splits[split]
        chinese = [{"id": record["id"], "text": translator.report(record["text"]),
                    "labels": record["labels"], "language": "zh", "synthetic": True}
                   for record in english]
        outputs[HERE / f"{split}.jsonl"] = _jsonl(chinese)
        outputs[HERE / f"{split}.en.jsonl"] = _jsonl(english)
    if translator.missing:
        listed = "\n  ".join(sorted(translator.missing))
        raise SystemExit(f"no Chinese for {len(translator.missing)} line(s):\n  {listed}")
    return outputs


def _jsonl(records: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if files are stale")
    args = parser.parse_args(argv)
    outputs = build()
    if args.check:
        stale = [p.name for p, text in outputs.items()
                 if not p.exists() or p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"stale: {', '.join(stale)} (run build_zh.py)")
            return 1
        print("up to date")
        return 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(f"wrote {len(outputs)} files to {HERE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
