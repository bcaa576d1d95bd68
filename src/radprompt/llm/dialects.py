"""Structured output in each server's dialect.

Callers ask for structured output one way, OpenAI's ``response_format: {"type": "json_schema",
"json_schema": {"name", "strict", "schema"}}`` (the canonical form, also the cache key's), with
the whole schema they mean, size caps included (``maxLength`` on a free-text field); the client
rewrites it for the server just before sending:

- ``json_schema``: as it is (``vllm serve``, SGLang, LM Studio, Ollama's /v1);
- ``openai``: the same form without the keywords OpenAI's strict structured outputs refuse
  (``minLength``, ``maxLength``: HTTP 400 "'maxLength' is not permitted"), for OpenAI's API
  and the other hosted providers LiteLLM reaches;
- ``json_object``: ``{"type": "json_object", "schema": ...}`` (llama.cpp's server and
  ``llama-cpp-python``, which refuse ``json_schema`` with HTTP 400 / 500);
- ``ollama``: Ollama's own ``format: <schema>`` (``ollama_chat/`` models through LiteLLM);
- ``none``: no structured output (the prompt alone asks for JSON).

Size caps: the dialects that keep them decode with the schema as a grammar that honours
``maxLength`` (llama.cpp's json-schema-to-grammar and llama-cpp-python's port of it, vLLM's
guided decoding; Ollama converts ``format`` with llama.cpp's converter), so a string ends at
its cap even when the model would write on. Where the schema as sent bounds the whole answer
(``radprompt.llm.answer_size``), ``max_tokens`` is lowered to that bound; where a dialect
stripped a cap, the answer is unbounded and ``max_tokens`` stays as asked.

With ``structured_output_dialect: auto`` (the default) the client starts with ``openai`` for a
hosted provider reached through LiteLLM and with ``json_schema`` for a server of one's own and,
when the server rejects it, moves to the next dialect at once (``json_schema`` refused for a size
keyword: ``openai``; refused as a form: ``json_object``): one rejected request per run, never one
per report (``radprompt models check`` shows which dialect the server takes).

Example::

    >>> schema = {"type": "object", "additionalProperties": False,
    ...           "properties": {"why": {"type": "string", "maxLength": 60}}}
    >>> params = {"response_format": canonical_response_format(schema, name="x"),
    ...           "max_tokens": 1024}
    >>> to_dialect(params, "json_object")["max_tokens"]
    41
    >>> wire = to_dialect(params, "openai")
    >>> wire["response_format"]["json_schema"]["schema"]["properties"], wire["max_tokens"]
    ({'why': {'type': 'string'}}, 1024)
    >>> sorted(to_dialect(params, "ollama"))
    ['format', 'max_tokens']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from radprompt.llm.answer_size import schema_token_cap

__all__ = [
    "DIALECTS",
    "SIZE_KEYWORDS",
    "Dialect",
    "asks_for_another_dialect",
    "auto_dialect",
    "canonical_response_format",
    "next_dialect",
    "rejects_structured_output",
    "to_dialect",
]

Dialect = Literal["json_schema", "openai", "json_object", "ollama", "none"]
DIALECTS: tuple[Dialect, ...] = ("json_schema", "openai", "json_object", "ollama", "none")
SIZE_KEYWORDS = ("minLength", "maxLength")
"""String length caps: kept by the grammar-decoding dialects, refused by OpenAI's strict mode."""
_STRIPS: dict[str, tuple[str, ...]] = {"openai": SIZE_KEYWORDS}
"""Schema keywords each dialect leaves out (the others send the schema whole)."""
_FALLBACK: dict[str, Dialect] = {"json_schema": "json_object"}
_REJECTION_WORDS = ("response_format", "json_schema", "json_object", "input should be 'text'")
_DIALECT_WORDS = ("json_schema", "json_object", "input should be")
_NAMED_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
"""Schema keys whose values map names to schemas (a property may be called "maxLength")."""
_LITERALS = frozenset({"enum", "const", "default", "examples"})


def canonical_response_format(schema: Mapping[str, Any], *, name: str) -> dict[str, Any]:
    """OpenAI's structured-output request for ``schema``."""
    return {"type": "json_schema",
            "json_schema": {"name": name, "strict": True, "schema": dict(schema)}}


def _schema_of(response_format: Any) -> dict[str, Any] | None:
    if isinstance(response_format, Mapping) and response_format.get("type") == "json_schema":
        spec = response_format.get("json_schema") or {}
        return dict(spec.get("schema") or {})
    return None


def _without(node: Any, keywords: tuple[str, ...]) -> Any:
    """A schema without ``keywords`` anywhere in it (literal values are left alone)."""
    if isinstance(node, list):
        return [_without(item, keywords) for item in node]
    if not isinstance(node, Mapping):
        return node
    kept: dict[str, Any] = {}
    for key, value in node.items():
        if key in keywords:
            continue
        if key in _NAMED_MAPS and isinstance(value, Mapping):
            kept[key] = {name: _without(item, keywords) for name, item in value.items()}
        else:
            kept[key] = value if key in _LITERALS else _without(value, keywords)
    return kept


def to_dialect(params: Mapping[str, Any], dialect: str) -> dict[str, Any]:
    """``params`` with a canonical ``response_format`` rewritten for ``dialect``, and
    ``max_tokens`` lowered to what an answer of the schema as sent can take."""
    wire = dict(params)
    schema = _schema_of(wire.get("response_format"))
    if schema is None or dialect == "none":
        if schema is not None:
            del wire["response_format"]
        return wire
    if strips := _STRIPS.get(dialect):
        schema = _without(schema, strips)
    if dialect in ("json_schema", "openai"):
        spec = dict(wire["response_format"]["json_schema"], schema=schema)
        wire["response_format"] = {**wire["response_format"], "json_schema": spec}
    elif dialect == "json_object":
        wire["response_format"] = {"type": "json_object", "schema": schema}
    elif dialect == "ollama":
        del wire["response_format"]
        wire["format"] = schema
    if isinstance(wanted := wire.get("max_tokens"), int):
        if (cap := schema_token_cap(schema)) is not None and cap < wanted:
            wire["max_tokens"] = cap
    return wire


def auto_dialect(*, api_base: str | None, backend: str) -> Dialect:
    """Where ``auto`` starts: ``openai`` for a hosted provider reached through LiteLLM (its
    strict structured outputs refuse size caps), ``json_schema`` for a server of one's own."""
    if backend != "litellm":
        return "json_schema"
    from radprompt.llm.privacy import is_loopback_url

    return "json_schema" if api_base and is_loopback_url(api_base) else "openai"


def uses_structured_output(params: Mapping[str, Any]) -> bool:
    return "format" in params or isinstance(params.get("response_format"), Mapping)


def _names_size_keyword(message: str) -> bool:
    text = message.lower()
    return any(keyword.lower() in text for keyword in SIZE_KEYWORDS)


def next_dialect(dialect: str, message: str = "") -> Dialect | None:
    """What ``auto`` tries after the server refused ``dialect`` with ``message`` (``None``:
    nothing left): a ``json_schema`` refused for a size keyword goes to ``openai``."""
    if dialect == "json_schema" and _names_size_keyword(message):
        return "openai"
    return _FALLBACK.get(dialect)


def rejects_structured_output(*, status: int | None, message: str) -> bool:
    """Whether an HTTP error is the server refusing the structured-output parameter (a set-up
    problem: every request would fail the same way, so it is never retried)."""
    text = message.lower()
    return status in (400, 422, 500) and any(word in text for word in _REJECTION_WORDS)


def asks_for_another_dialect(message: str) -> bool:
    """Whether a refusal is about the form of the structured-output request (llama.cpp: "Input
    should be 'text' or 'json_object'"; OpenAI: "'maxLength' is not permitted"), not about
    structured output as such."""
    text = message.lower()
    return _names_size_keyword(message) or any(word in text for word in _DIALECT_WORDS)
