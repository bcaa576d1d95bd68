"""The rule engine reads our 4-state sentences the way radiologists label them.

``tests/fixtures/four_state/<labelset>.jsonl``: synthetic sentences written by the radprompt
authors, one line each ``{"id", "text", "label", "state", "rule"}``; ``rule`` names the reading
rule the sentence exercises (hedge strength, scope, cue families, normal statements, devices,
No Finding, numbered lists ...). Each sentence is one report; only its label is compared.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from radprompt.findings import State
from radprompt.labelset import load_labelset
from radprompt.pipeline import build_extractor
from radprompt.reports import Report

FOUR_STATE = Path(__file__).resolve().parent / "fixtures" / "four_state"
LABELSETS = ("chestxray21", "chexpert14")
MIN_ACCURACY = 0.95


def sentences(name: str) -> list[dict[str, str]]:
    lines = (FOUR_STATE / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def read_all(name: str) -> tuple[list[dict[str, str]], list[State]]:
    """The sentences of ``name`` and the state the rule engine gives each one's label."""
    labelset = load_labelset(name)
    rows = sentences(name)
    results = build_extractor("rules", labelset=labelset).extract(
        [Report(row["id"], row["text"]) for row in rows])
    got = [result.state(row["label"]) for row, result in zip(rows, results, strict=True)]
    return rows, got


def test_the_sentences_cover_every_state_and_label():
    counts: Counter[str] = Counter()
    for name in LABELSETS:
        labelset = load_labelset(name)
        rows = sentences(name)
        assert len({row["id"] for row in rows}) == len(rows)
        assert {row["label"] for row in rows} <= set(labelset.ids)
        assert {row["state"] for row in rows} == {state.value for state in State}
        assert all(row["rule"] for row in rows)
        counts.update(row["state"] for row in rows)
    assert sum(counts.values()) >= 400
    assert min(counts.values()) >= 60, counts


@pytest.mark.parametrize("name", LABELSETS)
def test_accuracy_per_state_is_at_least_95_percent(name):
    rows, got = read_all(name)
    total: Counter[str] = Counter()
    misses: dict[str, list[str]] = defaultdict(list)
    for row, state in zip(rows, got, strict=True):
        total[row["state"]] += 1
        if state.value != row["state"]:
            misses[row["state"]].append(
                f"  {row['id']} [{row['rule']}] {row['label']}: {row['text']!r} "
                f"expected {row['state']}, got {state.value}")
    accuracy = {state: 1 - len(misses[state]) / total[state] for state in total}
    failing = {state: value for state, value in accuracy.items() if value < MIN_ACCURACY}
    report = "\n".join(
        f"{state}: {accuracy[state]:.3f} ({total[state] - len(misses[state])}/{total[state]})\n"
        + "\n".join(misses[state]) for state in sorted(total))
    print(report)
    assert not failing, f"{name}: accuracy below {MIN_ACCURACY} per state\n{report}"
