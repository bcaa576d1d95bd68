"""``radprompt models check``: one probe request, and what the endpoint supports.

The probe asks for a two-key JSON object with the answer's JSON Schema as structured output
(the way extraction sends it), times it, and reads the answer; when the server refuses
OpenAI's ``json_schema`` form it tries the next dialect (llama.cpp's ``json_object`` +
``schema``), so the result names the dialect extraction will use. Structured output counts as
supported when the server accepted the schema and its answer is the object the schema
describes. The context length is the server's own (``max_model_len`` in ``/v1/models``, as
vLLM says it) where it tells, else the recipe's ``context_length``, else LiteLLM's table;
prices and logprobs come from LiteLLM's shipped model table where it knows the model
(``None`` = not known); nothing else is contacted.

Example::

    >>> from radprompt.llm import LLMRecipe
    >>> # result = probe_endpoint(LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B",
    >>> #                                   api_base="http://127.0.0.1:8000/v1"))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

from radprompt.llm.base import BackendError
from radprompt.llm.capabilities import ModelInfo, model_info, supports_structured_output
from radprompt.llm.dialects import (
    asks_for_another_dialect,
    auto_dialect,
    canonical_response_format,
    to_dialect,
)
from radprompt.llm.recipe import LLMRecipe

__all__ = ["ProbeResult", "probe_endpoint"]

_SCHEMA = {
    "type": "object",
    "properties": {"finding": {"type": "string", "enum": ["present", "absent"]},
                   "evidence": {"type": ["string", "null"]}},
    "required": ["finding", "evidence"],
    "additionalProperties": False,
}
_PROBE = [
    {"role": "system", "content": "Answer with one JSON object with the keys finding "
     "(present or absent) and evidence (a quote of the report, or null)."},
    {"role": "user", "content": "Report (synthetic): No pleural effusion."},
]


@dataclass(frozen=True)
class ProbeResult:
    """What one probe request showed, and what LiteLLM's table says."""

    model: str
    api_base: str | None
    reached: bool
    latency_s: float | None
    structured_output: bool | None
    """Accepted and followed the schema (True), rejected it (False), not known (None)."""
    structured_output_default: bool
    """Whether extraction sends the schema by default for this model."""
    answer: str | None
    error: str | None
    info: ModelInfo
    dialect: str | None = None
    """The structured-output dialect the server took (``radprompt.llm.dialects``)."""


def probe_endpoint(recipe: LLMRecipe) -> ProbeResult:
    """Send the probe through the recipe's backend (no cache, no retries), in each
    structured-output dialect the server may take until one is accepted."""
    from radprompt.llm import build_client
    from radprompt.llm.calls import run_sync

    client = build_client(recipe.model_copy(update={"max_attempts": 1}), cache=False)
    base = {"max_tokens": 64, "temperature": 0.0,
            "response_format": canonical_response_format(_SCHEMA, name="probe")}
    order = ([recipe.structured_output_dialect] if recipe.structured_output_dialect != "auto"
             else [auto_dialect(api_base=recipe.api_base, backend=recipe.resolved_backend),
                   "json_object"])

    async def ask(params: dict[str, Any]) -> tuple[str | None, str | None, bool, float]:
        started = time.perf_counter()
        try:
            completion = await client.backend.complete(_PROBE, params=params)
            return completion.text, None, True, time.perf_counter() - started
        except BackendError as exc:
            return None, str(exc), exc.reached, time.perf_counter() - started

    async def ask_each() -> tuple[str | None, str | None, bool, float, str]:
        try:
            for dialect in order:
                answer, error, reached, seconds = await ask(to_dialect(base, dialect))
                if error is None or not asks_for_another_dialect(error):
                    break
            return answer, error, reached, seconds, dialect
        finally:
            await client.aclose()

    answer, error, reached, seconds, dialect = run_sync(ask_each())
    structured: bool | None = None
    if answer is not None:
        structured = _follows_schema(answer)
    elif error is not None and ("response_format" in error.lower()
                                or asks_for_another_dialect(error)):
        structured = False
    default = supports_structured_output(model=recipe.model, api_base=recipe.api_base,
                                         backend=recipe.resolved_backend)
    info = model_info(recipe.model)
    context = served_context_length(recipe.api_base) or recipe.context_length
    if context is not None:
        info = replace(info, context_length=context)
    return ProbeResult(model=recipe.model, api_base=recipe.api_base, reached=reached,
                       latency_s=seconds if reached else None, structured_output=structured,
                       structured_output_default=default, answer=answer, error=error,
                       info=info, dialect=dialect if answer is not None else None)


def served_context_length(api_base: str | None) -> int | None:
    """The context length a server on this machine states in ``/v1/models`` (vLLM:
    ``max_model_len``; llama.cpp: ``meta.n_ctx_train``), else ``None``. Remote endpoints
    are not asked."""
    import urllib.request

    from radprompt.llm.privacy import is_loopback_url

    if not api_base or not is_loopback_url(api_base):
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(api_base.rstrip("/") + "/models", timeout=5) as response:
            entries = json.loads(response.read()).get("data") or []
    except (OSError, ValueError, AttributeError):
        return None
    for entry in entries:
        value = entry.get("max_model_len") or (entry.get("meta") or {}).get("n_ctx")
        if isinstance(value, int):
            return value
    return None


def _follows_schema(answer: str) -> bool:
    try:
        value = json.loads(answer)
    except ValueError:
        return False
    return (isinstance(value, dict) and set(value) == {"finding", "evidence"}
            and value["finding"] in ("present", "absent"))
