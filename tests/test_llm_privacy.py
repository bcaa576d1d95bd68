"""Reports reach a provider off this machine only when the user has said so."""

from __future__ import annotations

import pytest
from llm_support import private_cache_fixture, write_mini_corpus  # noqa: F401 - autouse
from typer.testing import CliRunner

from radprompt.cli import app
from radprompt.llm import LLMRecipe, build_client
from radprompt.llm.privacy import (
    ALLOW_REMOTE_ENV,
    RemoteProviderError,
    check_destination,
    destination,
    is_loopback_url,
)


@pytest.mark.parametrize(("url", "local"), [
    ("http://127.0.0.1:8000/v1", True),
    ("http://127.3.4.5:8000", True),
    ("http://localhost:11434", True),
    ("http://[::1]:8000/v1", True),
    ("127.0.0.1:8000", True),
    ("http://10.0.0.5:8000/v1", False),
    ("http://0.0.0.0:8000/v1", False),
    ("https://api.openai.com/v1", False),
    ("http://localhost.example.com/v1", False),
    ("http://127.0.0.1.nip.io/v1", False),
])
def test_loopback(url, local):
    assert is_loopback_url(url) is local


def test_destinations():
    assert destination(model="hosted_vllm/m", api_base="http://127.0.0.1:8000/v1") is None
    assert destination(model="ollama_chat/qwen3", api_base=None) is None
    assert destination(model="Qwen/Qwen3-14B", api_base=None, backend="vllm") is None
    assert destination(model="openai/gpt-4o-mini", api_base=None) == "the openai API"
    assert destination(model="anthropic/claude", api_base=None) == "the anthropic API"
    assert destination(model="hosted_vllm/m", api_base="http://gpu-box:8000/v1") == "gpu-box"


def test_refusal_says_how_to_allow(monkeypatch):
    with pytest.raises(RemoteProviderError) as caught:
        check_destination(model="openai/gpt-4o-mini", api_base=None)
    message = str(caught.value)
    assert "--allow-remote" in message and "allow_remote: true" in message
    assert ALLOW_REMOTE_ENV in message
    check_destination(model="openai/gpt-4o-mini", api_base=None, allow_remote=True)
    monkeypatch.setenv(ALLOW_REMOTE_ENV, "1")
    check_destination(model="openai/gpt-4o-mini", api_base=None)


def test_client_is_not_built_for_a_refused_provider():
    with pytest.raises(RemoteProviderError):
        build_client(LLMRecipe(model="openai/gpt-4o-mini"))
    build_client(LLMRecipe(model="openai/gpt-4o-mini", allow_remote=True), cache=False)


def test_cli_refuses_remote_model_without_flag(tmp_path):
    corpus = write_mini_corpus(tmp_path / "reports.jsonl")
    result = CliRunner().invoke(app, [
        "extract", "--labelset", "tests/fixtures/mini.yaml", "-i", str(corpus),
        "-o", str(tmp_path / "out.jsonl"), "--model", "openai/gpt-4o-mini"])
    assert result.exit_code == 2
    assert "refusing to send reports" in result.output and "--allow-remote" in result.output
    assert not (tmp_path / "out.jsonl").exists()


def test_shipped_remote_recipe_needs_the_flag(tmp_path):
    corpus = write_mini_corpus(tmp_path / "reports.jsonl")
    result = CliRunner().invoke(app, [
        "extract", "--labelset", "tests/fixtures/mini.yaml", "-i", str(corpus),
        "-o", str(tmp_path / "out.jsonl"), "--extractor", "openai-gpt"])
    assert result.exit_code == 2
    assert "--allow-remote" in result.output
