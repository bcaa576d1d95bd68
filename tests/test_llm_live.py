"""Against a real provider; opt-in: ``RADPROMPT_LIVE_MODEL=<litellm model> pytest -m live``.

Give ``RADPROMPT_LIVE_API_BASE`` for a server (``vllm serve``), and ``RADPROMPT_ALLOW_REMOTE=1``
for a provider off this machine (its key in the provider's usual variable).
"""

from __future__ import annotations

import os

import pytest

from radprompt.extractors.base import ExtractionFailure
from radprompt.extractors.llm import LLMExtractor
from radprompt.findings import State
from radprompt.llm import LLMRecipe
from radprompt.reports import Report

MODEL = os.environ.get("RADPROMPT_LIVE_MODEL")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not MODEL, reason="set RADPROMPT_LIVE_MODEL (and run with -m live)"),
]


def test_live_model_reads_a_negation(mini_labelset, tmp_path):
    recipe = LLMRecipe(model=str(MODEL), api_base=os.environ.get("RADPROMPT_LIVE_API_BASE"),
                       cache_path=str(tmp_path / "cache.sqlite"), concurrency=2)
    extractor = LLMExtractor(labelset=mini_labelset, recipe=recipe)
    [result] = extractor.extract([Report("live-1", "No pneumothorax. Small left effusion.")])
    assert not isinstance(result, ExtractionFailure), result
    assert result.state("pneumothorax") is State.ABSENT
    assert result.state("pleural_effusion") is State.PRESENT
    assert extractor.usage_.requests >= 1
