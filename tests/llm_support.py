"""Shared pieces of the LLM tests: a loopback fake server answering like the rule engine, a
recipe pointing at it, and a labelled mini corpus. Import the ``*_fixture`` functions into a
test module to use the fixtures ``mini``, ``server`` and (autouse) ``private_cache``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from radprompt.labelset import LabelSet, load_labelset
from radprompt.llm import LLMRecipe, Usage
from radprompt.reports import Report
from radprompt.testing import FakeOpenAIServer, RulesAnswerer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BACKENDS = ("litellm", "openai_compatible")

# Reports of the mini labelset (tests/fixtures/mini.yaml) with the states the rule engine, and
# so the fake model, gives them.
MINI_REPORTS = [
    ("m1", "No pneumothorax. Small left pleural effusion.",
     {"pneumothorax": "absent", "pleural_effusion": "present"}),
    ("m2", "Possible pneumonia in the right lower lobe.", {"pneumonia": "uncertain"}),
    ("m3", "Endotracheal tube in place. No pleural effusion.",
     {"support_devices": "present", "pleural_effusion": "absent"}),
    ("m4", "Lungs are clear.", {}),
    ("m5", "Bibasilar atelectasis. Pneumothorax has resolved.",
     {"atelectasis": "present", "pneumothorax": "absent"}),
    ("m6", "Right pneumothorax.", {"pneumothorax": "present"}),
]


def mini_reports() -> list[Report]:
    return [Report(report_id, text) for report_id, text, _ in MINI_REPORTS]


def write_mini_corpus(path: Path, *, labels: bool = True) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for report_id, text, states in MINI_REPORTS:
            record: dict[str, object] = {"id": report_id, "text": text}
            if labels:
                record["labels"] = states
            handle.write(json.dumps(record) + "\n")
    return path


@pytest.fixture(autouse=True, name="private_cache")
def private_cache_fixture(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's cache or allow remote providers from the environment."""
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "default-cache"))
    monkeypatch.delenv("RADPROMPT_ALLOW_REMOTE", raising=False)


@pytest.fixture(name="mini")
def mini_fixture() -> LabelSet:
    return load_labelset(FIXTURES / "mini.yaml")


@pytest.fixture(name="server")
def server_fixture(mini: LabelSet) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(answerer=RulesAnswerer(labelset=mini), stall_seconds=30) as fake:
        yield fake


def recipe_for(server: FakeOpenAIServer, tmp_path: Path, **changes: object) -> LLMRecipe:
    """A recipe for the fake server with fast retries and timeouts."""
    settings: dict[str, object] = {
        "model": "hosted_vllm/fake-model",
        "api_base": server.base_url,
        "backend": "openai_compatible",
        "concurrency": 4,
        "timeout": 5.0,  # generous: a loaded CI machine must not turn a slow answer into a retry
        "max_attempts": 3,
        "backoff": 0.01,
        "parse_retries": 2,
        "cache_path": str(tmp_path / "cache.sqlite"),
    }
    settings.update(changes)
    return LLMRecipe.model_validate(settings)


def extract_mini(server: FakeOpenAIServer, tmp_path: Path, mini: LabelSet,
                 **changes: object) -> tuple[list[Any], Usage | None]:
    """The mini corpus extracted by an LLM extractor on ``recipe_for(server, ...)``: its
    results (findings or failures) and usage."""
    from radprompt.extractors.llm import LLMExtractor

    extractor = LLMExtractor(labelset=mini, recipe=recipe_for(server, tmp_path, **changes))
    return extractor.extract(mini_reports()), extractor.usage_
