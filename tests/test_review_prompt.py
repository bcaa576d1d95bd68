"""Reviewing a prompt proposal: the guidance is edited, re-scored by the model, accepted,
and the edited prompt is what the bundle freezes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from review_support import prompt_run

from radprompt.bundles import export_run
from radprompt.labelset import load_labelset
from radprompt.llm import LLMRecipe
from radprompt.review import ReviewError, accept_edit, editable_text, score_edit
from radprompt.testing import FakeOpenAIServer, RulesAnswerer


@pytest.fixture(scope="module")
def server() -> Iterator[FakeOpenAIServer]:
    answerer = RulesAnswerer(labelset=load_labelset("chestxray21"))
    with FakeOpenAIServer(answerer=answerer, stall_seconds=30) as fake:
        yield fake


def test_prompt_guidance_edit_is_rescored_accepted_and_exported(
        server: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    recipe = LLMRecipe(model="hosted_vllm/fake-model", api_base=server.base_url,
                       backend="openai_compatible", concurrency=8, timeout=10.0,
                       max_attempts=2, backoff=0.01)
    run, _, child = prompt_run(tmp_path / "runs", recipe)
    text = editable_text(run, "round-01")
    guidance = yaml.safe_load(text)["guidance"]
    assert guidance["edema"] == child.version.guidance["edema"]
    with pytest.raises(ReviewError, match="no such label"):
        score_edit(run, "round-01", yaml.safe_dump({"guidance": {"oedema": "x"}}))
    new = "Fluid in the lung interstitium or alveoli.\nNot: vascular congestion alone."
    edited_text = yaml.safe_dump({"guidance": {**guidance, "edema": new}})
    edited = score_edit(run, "round-01", edited_text, reviewer="Dr. P")
    assert edited.version != child.hash and 0 <= edited.dev.macro_f1 <= 1
    assert len(server.requests) >= 140  # every dev report went to the model
    assert "+Fluid in the lung interstitium or alveoli." in edited.diff
    accept_edit(run, "round-01", version=edited.version, reviewer="Dr. P", comment="clearer")
    bundle = export_run(run.path, output=tmp_path / "bundle")
    assert bundle.version == edited.version and bundle.review == "reviewed"
    prompt = json.loads((bundle.path / "prompt.json").read_text())
    assert prompt["guidance"]["edema"] == new
    assert bundle.manifest["decoding"]["temperature"] == 0.3
