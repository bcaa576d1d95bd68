"""Structured output in each server's dialect.

Callers ask for structured output one way, OpenAI's ``response_format: {"type": "json_schema",
"json_schema": {"name", "strict", "schema"}}`` (the canonical form, also the cache key's); the
client rewrites it for the server just before sending:

- ``json_schema``: as it is (OpenAI, ``vllm serve``, SGLang, LM Studio, Ollama's /v1);
- ``json_object``: ``{"type": "json_object", "schema": ...}`` (llama.cpp's server and
  ``llama-cpp-python``, which refuse ``json_schema`` with HTTP 400 / 500);
- ``ollama``: Ollama's own ``format: <schema>`` (``ollama_chat/`` models through LiteLLM);
- ``none``: no structured output (the prompt alone asks for JSON).

With ``structured_output_dialect: auto`` (the default) the client starts with ``json_schema``
and, when the server rejects it, moves to the next dialect at once: one rejected request per
run, never one per report (``radprompt models check`` shows which dialect the server takes).

Example::

    >>> params = {"response_format": canonical_response_format({"type": "object"}, name="x")}
    >>> to_dialect(params, "json_object")
    {'response_format': {'type': 'json_object', 'schema': {'type': 'object'}}}
    >>> to_dialect(params, "ollama")
    {'format': {'type': 'object'}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

__all__ = [
    "DIALECTS",
    "Dialect",
    "asks_for_another_dialect",
    "canonical_response_format",
    "next_dialect",
    "rejects_structured_output",
    "to_dialect",
]

Dialect = Literal["json_schema", "json_object", "ollama", "none"]
DIALECTS: tuple[Dialect, ...] = ("json_schema", "json_object", "ollama", "none")
_FALLBACK: dict[str, Dialect] = {"json_schema": "json_object"}
_REJECTION_WORDS = ("response_format", "json_schema", "json_object", "input should be 'text'")
_DIALECT_WORDS = ("json_schema", "json_object", "input should be")


def canonical_response_format(schema: Mapping[str, Any], *, name: str) -> dict[str, Any]:
    """OpenAI's structured-output request for ``schema``."""
    return {"type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": dict(schema)}}


def _schema_of(response_format: Any) -> dict[str, Any] | None:
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return dict(spec.get("schema") or {})
    return None


def to_dialect(params: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    """``params`` with a canonical ``response_format`` rewritten for ``dialect``."""
    wire = dict(params)
    schema = _schema_of(wire.get("response_format"))
    if schema is None or dialect == "json_schema":
        return wire
    del wire["response_format"]
    if dialect == "json_object":
        wire["response_format"] = {"type": "json_object", "schema": schema}
    elif dialect == "ollama":
        wire["format"] = schema
    return wire


def uses_structured_output(params: Mapping[str, Any]) -> bool:
    return "format" in params or isinstance(params.get("response_format"), Mapping)


def next_dialect(dialect: str) -> Dialect | None:
    """What ``auto`` tries after ``dialect`` was rejected (``None``: nothing left)."""
    return _FALLBACK.get(dialect)


def rejects_structured_output(*, status: int | None, message: str) -> bool:
    """Whether an HTTP error is the server refusing the structured-output parameter (a set-up
    problem: every request would fail the same way, so it is never retried)."""
    text = message.lower()
    return status in (400, 422, 500) and any(word in text for word in _REJECTION_WORDS)


def asks_for_another_dialect(message: str) -> bool:
    """Whether a refusal is about the form of the structured-output request (llama.cpp: "Input
    should be 'text' or 'json_object'"), not about structured output as such."""
    text = message.lower()
    return any(word in text for word in _DIALECT_WORDS)
