"""What a model endpoint supports, as far as it can be known without sending a request.

Structured output (``response_format`` with a JSON Schema) is known to work with ``vllm serve``
(``hosted_vllm/...``, guided decoding), with every OpenAI-compatible server on this machine
that radprompt talks to, with in-process vLLM, and with the providers LiteLLM's capability
table lists (``litellm.supports_response_schema``, read from the cost map that ships with
LiteLLM: nothing is fetched).

Example::

    >>> supports_structured_output(model="hosted_vllm/Qwen/Qwen3-14B",
    ...                            api_base="http://127.0.0.1:8000/v1", backend="openai_compatible")
    True
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from radprompt.llm.base import import_litellm
from radprompt.llm.privacy import is_loopback_url

__all__ = ["ModelInfo", "model_info", "supports_structured_output"]

_ALWAYS = ("hosted_vllm/", "vllm/")


@functools.lru_cache(maxsize=64)
def supports_structured_output(*, model: str, api_base: str | None, backend: str) -> bool:
    """Whether to send the answer's JSON Schema as ``response_format`` by default."""
    if backend == "vllm" or model.startswith(_ALWAYS):
        return True
    if backend == "hf":
        return False
    if backend == "openai_compatible" or (api_base and is_loopback_url(api_base)):
        return True
    try:
        litellm = import_litellm(needed_by="the structured-output capability table")
        return bool(litellm.supports_response_schema(model=model))
    except Exception:  # unknown to the table, or LiteLLM not installed: plain JSON
        return False


@dataclass(frozen=True)
class ModelInfo:
    """What LiteLLM's table says about a model; ``None`` where it says nothing."""

    context_length: int | None = None
    input_cost_per_mtok: float | None = None
    output_cost_per_mtok: float | None = None
    logprobs: bool | None = None


def model_info(model: str) -> ModelInfo:
    """Context length, price and logprobs support from LiteLLM's shipped table."""
    try:
        litellm = import_litellm(needed_by="the model table")
        info: dict[str, Any] = dict(litellm.get_model_info(model=model))
    except Exception:
        return ModelInfo()
    inputs, outputs = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    params = info.get("supported_openai_params") or []
    return ModelInfo(
        context_length=info.get("max_input_tokens") or info.get("max_tokens"),
        input_cost_per_mtok=inputs * 1e6 if inputs is not None else None,
        output_cost_per_mtok=outputs * 1e6 if outputs is not None else None,
        logprobs=("logprobs" in params) if params else None,
    )
