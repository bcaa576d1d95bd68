"""Model access: backends, the request client (cache, concurrency, retries), recipes, parsing.

Nothing here imports LiteLLM, aiohttp, DSPy, vLLM or transformers until a request is made; a
missing optional dependency raises ``MissingExtraError`` with the ``pip install`` line.

Example::

    >>> from radprompt.llm import LLMRecipe, build_client
    >>> client = build_client(LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B",
    ...                                 api_base="http://127.0.0.1:8000/v1"))
    >>> # await client.complete([{"role": "user", "content": "..."}])
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from radprompt.errors import RadpromptError
from radprompt.llm._http import OpenAICompatibleBackend
from radprompt.llm._litellm import LiteLLMBackend
from radprompt.llm._local import TransformersBackend, VLLMBackend
from radprompt.llm.base import Backend, BackendError, Completion, MissingExtraError
from radprompt.llm.cache import ResponseCache, default_cache_path
from radprompt.llm.client import (
    ConfigurationError,
    LLMStopError,
    ModelClient,
    Pricing,
    RequestError,
    ServerUnreachableError,
    Usage,
)
from radprompt.llm.dialects import auto_dialect
from radprompt.llm.privacy import RemoteProviderError, check_destination, is_loopback_url
from radprompt.llm.recipe import LLMRecipe

__all__ = [
    "BACKENDS",
    "Backend",
    "BackendError",
    "Completion",
    "ConfigurationError",
    "LLMRecipe",
    "LLMStopError",
    "MissingExtraError",
    "ModelClient",
    "Pricing",
    "RemoteProviderError",
    "RequestError",
    "ResponseCache",
    "ServerUnreachableError",
    "Usage",
    "build_client",
    "check_destination",
]

BACKENDS: dict[str, Callable[..., Backend]] = {
    "litellm": LiteLLMBackend,
    "openai_compatible": OpenAICompatibleBackend,
    "vllm": VLLMBackend,
    "hf": TransformersBackend,
}
"""Backends by the ``backend`` key of an LLM recipe."""


def build_client(recipe: LLMRecipe, *, cache: ResponseCache | bool | None = True) -> ModelClient:
    """The client a recipe describes, after checking where reports would go.

    ``cache=True`` uses the recipe's cache (``cache_path`` or ``default_cache_path()``) unless
    the recipe turns it off; ``False`` / ``None`` sends every request.
    """
    endpoint = check_destination(model=recipe.model, api_base=recipe.api_base,
                                 backend=recipe.resolved_backend, allow_remote=recipe.allow_remote)
    api_key = None
    if recipe.api_key_env:
        api_key = os.environ.get(recipe.api_key_env)
        if not api_key:
            raise RadpromptError(f"the recipe reads the API key from ${recipe.api_key_env}, "
                                 "which is not set")
    elif _keyless_local_server(recipe):
        api_key = LOCAL_PLACEHOLDER_KEY
    backend = BACKENDS[recipe.resolved_backend](
        model=recipe.model, api_base=endpoint.url, api_key=api_key, timeout=recipe.timeout,
        options=recipe.backend_options,
    )
    store: ResponseCache | None = None
    if cache is True and recipe.cache:
        store = ResponseCache(path=Path(recipe.cache_path or default_cache_path()))
    elif isinstance(cache, ResponseCache):
        store = cache
    pricing = None
    if recipe.input_cost_per_mtok is not None or recipe.output_cost_per_mtok is not None:
        pricing = Pricing(recipe.input_cost_per_mtok or 0.0, recipe.output_cost_per_mtok or 0.0)
    return ModelClient(
        backend=backend,
        model=recipe.model,
        params=recipe.decoding_params(),
        cache=store,
        concurrency=recipe.concurrency,
        max_attempts=recipe.max_attempts,
        backoff=recipe.backoff,
        pricing=pricing,
        max_connection_failures=recipe.max_connection_failures,
        dialect=recipe.structured_output_dialect,
        context_length=recipe.context_length,
        first_dialect=auto_dialect(api_base=recipe.api_base, backend=recipe.resolved_backend),
    )


LOCAL_PLACEHOLDER_KEY = "EMPTY"
"""Sent to an OpenAI-compatible server on this machine when no key is set (vLLM's convention):
the OpenAI client refuses to send a request without one."""


def _keyless_local_server(recipe: LLMRecipe) -> bool:
    return (recipe.resolved_backend == "litellm" and recipe.model.startswith("openai/")
            and recipe.api_base is not None and is_loopback_url(recipe.api_base)
            and not os.environ.get("OPENAI_API_KEY"))
