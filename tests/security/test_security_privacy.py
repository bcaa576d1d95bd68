"""Exploit 3 of issue 11: the privacy guard checks the endpoint the client will actually call
(``*_API_BASE`` variables included), and no environment proxy carries loopback requests."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
from security_support import FIXTURES_MINI, invoke, mini_reports_file

from radprompt.llm import LLMRecipe, RemoteProviderError, build_client, check_destination
from radprompt.llm.privacy import resolve_endpoint
from radprompt.testing import FakeOpenAIServer


@pytest.mark.parametrize(("model", "variable"), [
    ("ollama/llama3.1", "OLLAMA_API_BASE"),
    ("ollama_chat/llama3.1", "OLLAMA_API_BASE"),
    ("hosted_vllm/Qwen/Qwen3-14B", "HOSTED_VLLM_API_BASE"),
    ("openai/gpt-4o-mini", "OPENAI_BASE_URL"),
    ("openai/gpt-4o-mini", "OPENAI_API_BASE"),
])
def test_api_base_from_the_environment_is_checked(tmp_path, socket_guard, monkeypatch,
                                                  model, variable):
    monkeypatch.setenv(variable, "http://remote-host:11434")
    result = invoke("extract", "--labelset", FIXTURES_MINI, "-m", model,
                    "-i", mini_reports_file(tmp_path / "r.jsonl"), "-o", tmp_path / "o.jsonl")
    assert result.exit_code == 2, result.output
    if model.startswith("hosted_vllm/"):  # the recipe itself asks for an explicit api_base
        assert "needs api_base" in result.output
    else:
        assert "refusing to send reports" in result.output
        assert f"remote-host (from ${variable})" in result.output
    assert socket_guard.remote == [] and socket_guard.attempts == []
    assert not (tmp_path / "o.jsonl").exists()


def test_significance_judges_use_the_same_check(monkeypatch):
    monkeypatch.setenv("OLLAMA_API_BASE", "http://remote-host:11434")
    with pytest.raises(RemoteProviderError, match=r"from \$OLLAMA_API_BASE"):
        check_destination(model="ollama/llama3.1", api_base=None)


def test_local_environment_endpoint_is_the_one_called(monkeypatch):
    monkeypatch.setenv("OLLAMA_API_BASE", "http://127.0.0.1:11500")
    endpoint = resolve_endpoint(model="ollama/llama3.1", api_base=None)
    assert endpoint.local and endpoint.url == "http://127.0.0.1:11500"
    assert endpoint.source == "$OLLAMA_API_BASE"
    client = build_client(LLMRecipe(model="ollama/llama3.1"), cache=False)
    assert client.backend.api_base == "http://127.0.0.1:11500"  # type: ignore[attr-defined]


def test_ollama_without_variable_goes_to_its_explicit_local_default():
    endpoint = resolve_endpoint(model="ollama/llama3.1", api_base=None, environ={})
    assert endpoint.url == "http://localhost:11434" and endpoint.local


def test_conflicting_variables_are_refused(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:8000/v1")
    monkeypatch.setenv("OPENAI_API_BASE", "http://remote-host/v1")
    with pytest.raises(RemoteProviderError, match="disagree"):
        check_destination(model="openai/gpt-4o-mini", api_base=None)


@pytest.fixture
def proxy() -> Iterator[list[bytes]]:
    """A 'proxy' on loopback that records whatever connects to it."""
    hits: list[bytes] = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            hits.append(connection.recv(256))
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    hits.append(f"http://127.0.0.1:{listener.getsockname()[1]}".encode())
    yield hits
    stop.set()
    thread.join(timeout=2)
    listener.close()


@pytest.mark.parametrize(("model", "backend"), [
    ("hosted_vllm/fake-model", "litellm"),
    ("openai/fake-model", "litellm"),
    ("hosted_vllm/fake-model", "openai_compatible"),
])
def test_loopback_requests_never_use_an_environment_proxy(proxy, monkeypatch, model, backend):
    address = proxy.pop(0).decode()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, address)
    with FakeOpenAIServer(answerer=lambda messages: '{"ok": true}') as server:
        recipe = LLMRecipe(model=model, api_base=server.base_url, backend=backend,
                           max_attempts=1, timeout=5.0)
        client = build_client(recipe, cache=False)

        async def ask() -> str:
            try:
                completion = await client.complete([{"role": "user", "content": "hi"}])
                return completion.text
            finally:
                await client.aclose()

        answer = asyncio.run(ask())
        assert answer == '{"ok": true}'
        assert server.request_count == 1
    assert proxy == []  # nothing reached the proxy
