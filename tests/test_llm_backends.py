"""Contract tests of the Backend plug-in kind, the request client and its cache."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest
from llm_support import (  # noqa: F401 - the fixtures are used by name
    mini_fixture,
    private_cache_fixture,
    server_fixture,
)

from radprompt.llm import (
    BACKENDS,
    BackendError,
    Completion,
    LLMRecipe,
    MissingExtraError,
    ModelClient,
    ResponseCache,
    build_client,
)
from radprompt.llm._local import BatchingBackend
from radprompt.llm.cache import cache_key
from radprompt.testing import Behaviour

HTTP_BACKENDS = ("litellm", "openai_compatible")
MESSAGES = [{"role": "system", "content": "pneumothorax"},
            {"role": "user", "content": "No pneumothorax."}]
PARAMS = {"temperature": 0.0, "max_tokens": 64}


def backend_for(name, server, timeout=1.0):
    return BACKENDS[name](model="hosted_vllm/fake-model", api_base=server.base_url,
                          timeout=timeout)


async def ask(backend):
    try:
        return await backend.complete(MESSAGES, params=PARAMS)
    finally:
        await backend.aclose()


def test_registry_keys_are_recipe_names():
    assert set(BACKENDS) == {"litellm", "openai_compatible", "vllm", "hf"}
    assert set(BACKENDS) | {"auto"} == set(LLMRecipe.model_fields["backend"].annotation.__args__)


@pytest.mark.parametrize("name", HTTP_BACKENDS)
def test_completion_with_tokens(name, server):
    completion = asyncio.run(ask(backend_for(name, server)))
    assert json.loads(completion.text) == {"pneumothorax": {"state": "absent",
                                                            "evidence": "No pneumothorax."}}
    assert completion.prompt_tokens > 0 and completion.completion_tokens > 0
    assert completion.finish_reason == "stop"
    sent = server.requests[-1]
    assert sent.params["model"] == "fake-model" and sent.params["temperature"] == 0.0
    assert sent.messages == MESSAGES


@pytest.mark.parametrize("name", HTTP_BACKENDS)
@pytest.mark.parametrize(("fault", "transient"), [
    (Behaviour.fail(429), True), (Behaviour.fail(500), True), (Behaviour.fail(503), True),
    (Behaviour.fail(400), False), (Behaviour.fail(404), False), (Behaviour.stall(), True),
])
def test_errors_say_whether_to_retry(name, server, fault, transient):
    server.script(fault)
    with pytest.raises(BackendError) as caught:
        asyncio.run(ask(backend_for(name, server, timeout=0.3)))
    assert caught.value.transient is transient


@pytest.mark.parametrize("name", HTTP_BACKENDS)
def test_truncated_answer_reports_length(name, server):
    server.script(Behaviour.truncated())
    completion = asyncio.run(ask(backend_for(name, server)))
    assert completion.cut_off


def test_models_route_and_stats(server):
    import urllib.request

    from radprompt.testing.serve import server_stats

    with urllib.request.urlopen(f"{server.base_url}/models", timeout=5) as response:
        assert json.loads(response.read())["data"][0]["id"] == "fake-model"
    asyncio.run(ask(backend_for("openai_compatible", server)))
    assert server_stats(server.base_url) == {"requests": 1, "peak": 1}


def test_connection_refused_is_transient(server):
    backend = BACKENDS["openai_compatible"](model="hosted_vllm/x",
                                            api_base="http://127.0.0.1:9/v1", timeout=1.0)
    with pytest.raises(BackendError) as caught:
        asyncio.run(ask(backend))
    assert caught.value.transient


def test_cache_key_covers_model_params_and_messages():
    base = cache_key(model="m", params=PARAMS, messages=MESSAGES)
    assert base == cache_key(model="m", params=dict(reversed(PARAMS.items())), messages=MESSAGES)
    assert base != cache_key(model="n", params=PARAMS, messages=MESSAGES)
    assert base != cache_key(model="m", params={**PARAMS, "temperature": 0.5}, messages=MESSAGES)
    assert base != cache_key(model="m", params=PARAMS, messages=[*MESSAGES[:1], {
        "role": "user", "content": "No pneumothorax. "}])


def test_cache_survives_reopening(tmp_path):
    cache = ResponseCache(path=tmp_path / "c.sqlite")
    cache.put("k", Completion("answer", 10, 2, 0.001, "stop"), model="m")
    cache.close()
    again = ResponseCache(path=tmp_path / "c.sqlite").get("k")
    assert again == Completion("answer", 10, 2, 0.001, "stop", cached=True)
    assert len(ResponseCache(path=tmp_path / "c.sqlite")) == 1


def test_client_retries_with_backoff_then_gives_up(server, tmp_path):
    recipe = LLMRecipe(model="hosted_vllm/fake-model", api_base=server.base_url, max_attempts=3,
                       backoff=0.01, cache_path=str(tmp_path / "c.sqlite"),
                       input_cost_per_mtok=1.0, output_cost_per_mtok=2.0)
    client = build_client(recipe)

    def complete(messages):
        async def once():
            try:
                return await client.complete(messages)
            finally:
                await client.aclose()
        return asyncio.run(once())

    server.script(Behaviour.fail(429), Behaviour.fail(429))
    completion = complete(MESSAGES)
    assert client.usage.requests == 3 and client.usage.retries == 2
    assert completion.cost == pytest.approx(
        (completion.prompt_tokens + 2 * completion.completion_tokens) / 1e6)
    assert client.usage.cost_known
    server.script(Behaviour.fail(500), repeat=True)
    from radprompt.llm import RequestError

    with pytest.raises(RequestError, match="after 3 attempts"):
        complete([{"role": "user", "content": "another report"}])
    assert client.usage.failure_reasons == {"HTTP 500": 1}
    assert complete(MESSAGES).cached  # the first answer was stored


class _Echo(BatchingBackend):
    """A batching backend that records its batch sizes."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.batches: list[int] = []

    def generate_batch(self, conversations, params):
        self.batches.append(len(conversations))
        return [Completion(c[-1]["content"].upper(), 1, 1, 0.0, "stop") for c in conversations]


def test_in_process_backends_batch_concurrent_requests():
    backend = _Echo(model="echo", max_batch=8)
    client = ModelClient(backend=backend, model="echo", params={}, concurrency=64)

    async def many():
        try:
            return await asyncio.gather(*(client.complete([{"role": "user", "content": f"r{i}"}])
                                          for i in range(20)))
        finally:
            await client.aclose()

    answers = asyncio.run(many())
    assert [a.text for a in answers] == [f"R{i}" for i in range(20)]
    assert max(backend.batches) == 8 and sum(backend.batches) == 20


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_missing_vllm_names_the_extra():
    client = ModelClient(backend=BACKENDS["vllm"](model="Qwen/Qwen3-14B"), model="x", params={})
    with pytest.raises(Exception) as caught:
        asyncio.run(client.complete(MESSAGES))
    assert "pip install 'radprompt[vllm]'" in str(caught.value)


def test_require_extra_names_the_extra():
    from radprompt.llm.base import require_extra

    with pytest.raises(MissingExtraError, match=r"pip install 'radprompt\[hf\]'"):
        require_extra("no_such_module_here", extra="hf", needed_by="the hf backend")
