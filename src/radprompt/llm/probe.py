"""``radprompt models check``: one probe request, and what the endpoint supports.

The probe asks for a two-key JSON object with the answer's JSON Schema as ``response_format``
(the way extraction sends it), times it, and reads the answer. Structured output counts as
supported when the server accepted the schema and its answer is the object the schema
describes. Context length, prices and logprobs come from LiteLLM's shipped model table where it
knows the model (``None`` = not known); nothing else is contacted.

Example::

    >>> from radprompt.llm import LLMRecipe
    >>> # result = probe_endpoint(LLMRecipe(model="hosted_vllm/Qwen/Qwen3-14B",
    >>> #                                   api_base="http://127.0.0.1:8000/v1"))
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from radprompt.llm.base import BackendError
from radprompt.llm.capabilities import ModelInfo, model_info, supports_structured_output
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


def probe_endpoint(recipe: LLMRecipe) -> ProbeResult:
    """Send one probe request through the recipe's backend (no cache, no retries)."""
    from radprompt.extractors.llm import run_sync
    from radprompt.llm import build_client

    client = build_client(recipe.model_copy(update={"max_attempts": 1}), cache=False)
    params = {"max_tokens": 64, "temperature": 0.0, "response_format": {
        "type": "json_schema",
        "json_schema": {"name": "probe", "strict": True, "schema": _SCHEMA}}}

    async def ask() -> tuple[str | None, str | None, bool, float]:
        started = time.perf_counter()
        try:
            completion = await client.backend.complete(_PROBE, params=params)
            return completion.text, None, True, time.perf_counter() - started
        except BackendError as exc:
            return None, str(exc), exc.reached, time.perf_counter() - started
        finally:
            await client.aclose()

    answer, error, reached, seconds = run_sync(ask())
    structured: bool | None = None
    if answer is not None:
        structured = _follows_schema(answer)
    elif error is not None and "response_format" in error.lower():
        structured = False
    default = supports_structured_output(model=recipe.model, api_base=recipe.api_base,
                                         backend=recipe.resolved_backend)
    return ProbeResult(model=recipe.model, api_base=recipe.api_base, reached=reached,
                       latency_s=seconds if reached else None, structured_output=structured,
                       structured_output_default=default, answer=answer, error=error,
                       info=model_info(recipe.model))


def _follows_schema(answer: str) -> bool:
    try:
        value = json.loads(answer)
    except ValueError:
        return False
    return (isinstance(value, dict) and set(value) == {"finding", "evidence"}
            and value["finding"] in ("present", "absent"))
