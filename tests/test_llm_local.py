"""The local-model path from the user's side, against the fake server where a real one is not
needed: the probe names llama.cpp's dialect, `models serve` builds the server's command from the
recipe, `bench llm --api-base` times a server next to its raw limit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from llm_support import private_cache_fixture
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.labelset import load_labelset
from radprompt.llm import LLMRecipe
from radprompt.llm.probe import probe_endpoint
from radprompt.testing import FakeOpenAIServer, RulesAnswerer

__all__ = ["private_cache_fixture"]
runner = CliRunner()


@pytest.fixture(name="llamacpp")
def llamacpp_fixture() -> Iterator[FakeOpenAIServer]:
    answerer = RulesAnswerer(labelset=load_labelset("chestxray21"))
    with FakeOpenAIServer(answerer=answerer, dialect="llamacpp", context_length=16384) as fake:
        yield fake


def test_the_probe_finds_llamacpps_dialect_and_context(llamacpp):
    result = probe_endpoint(LLMRecipe(model="openai/smollm2", api_base=llamacpp.base_url))
    assert result.error is None and result.dialect == "json_object"
    assert result.info.context_length == 16384
    assert [r.params["response_format"]["type"] for r in llamacpp.requests] == [
        "json_schema", "json_object"]


def test_models_check_prints_the_dialect(llamacpp):
    result = runner.invoke(app, ["models", "check", "-m", "openai/smollm2", "--api-base",
                                 llamacpp.base_url])
    assert result.exit_code == 0, result.output
    assert re.search(r"dialect\s+json_object", result.output)
    assert re.search(r"context length\s+16,384 tokens", result.output)


def test_models_serve_builds_the_command_from_the_recipe(tmp_path):
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF")
    result = runner.invoke(app, ["models", "serve", "-e", "llamacpp-local", "--gguf", str(gguf),
                                 "--threads", "2", "--dry-run"])
    assert result.exit_code == 0, result.output
    line = " ".join(result.output.split())
    for expected in (f"--model {gguf}", "--model_alias smollm2-135m-instruct",
                     "--host 127.0.0.1", "--port 8080", "--n_ctx 8192", "--n_threads 2"):
        assert expected in line, line


def test_models_serve_names_the_missing_model(tmp_path):
    result = runner.invoke(app, ["models", "serve", "--gguf", str(tmp_path / "no.gguf"),
                                 "--dry-run"])
    assert result.exit_code != 0 and "no GGUF file" in result.output


def test_bench_llm_against_a_server_reports_its_raw_limit(llamacpp):
    result = runner.invoke(app, ["bench", "llm", "--api-base", llamacpp.base_url,
                                 "-e", "llamacpp-local", "--reports", "4"])
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.output.splitlines()
            if line.count("│") > 5}
    assert set(rows) == {"prefix read cold (warm-up)", "raw (server limit)",
                         "extract, structured output",
                         "extract, cached re-run", "extract, plain JSON prompt"}
    assert "4/4 (100%)" in rows["extract, structured output"]
    assert rows["extract, cached re-run"].split("│")[3].strip() == "0"  # requests
    assert "static prefix" in result.output


ANSWER_ROOM = 384


@pytest.mark.parametrize("labelset", ["chestxray21", "chexpert14"])
def test_the_local_recipe_holds_each_shipped_labelsets_prompt(labelset):
    """SmolLM2's 8,192 tokens hold the prompt of every shipped labelset, the longest demo
    report and the whole answer, at the budget's conservative estimate: the prompt lists every
    written phrase of every label, so vocabulary added to a labelset can push the local model
    past its context (every report would then fail, unsent)."""
    from pathlib import Path

    from radprompt.extractors.llm import FindingsAnswer
    from radprompt.labelset import read_yaml
    from radprompt.llm.context import ContextBudget
    from radprompt.prompts import PromptVersion

    root = Path(__file__).resolve().parents[1]
    recipe = LLMRecipe.model_validate(read_yaml(root / "extractors" / "llamacpp-local.yaml"))
    version = PromptVersion.from_labelset(load_labelset(labelset), mode=recipe.mode)
    demo = (root / "experiments" / "demo" / "test.jsonl").read_text("utf-8").splitlines()
    longest = max((json.loads(line)["text"] for line in demo), key=len)
    answer = FindingsAnswer(tuple(version.label_ids), longest, version.mode)
    wanted = answer.max_tokens(recipe.max_tokens)
    budget = ContextBudget(context_length=recipe.context_length)
    params, problem = budget.fit(version.render(longest), {"max_tokens": wanted})
    assert problem is None
    # a compact answer naming a dozen findings with their evidence: ~30 tokens each
    assert params["max_tokens"] >= ANSWER_ROOM, (
        f"the prompt leaves {params['max_tokens']} answer tokens of {recipe.context_length}")
