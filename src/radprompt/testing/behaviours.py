"""What the fake server does with a request: scripted behaviours, and the refusals of real servers.

``Behaviour`` scripts one answer (a failure, a stall, a cut-off, prose, a ``<think>`` block, a
wrapped object, free text written on and on); ``refusal_of`` says what a real server says to a
request it cannot take (llama-cpp-python: OpenAI's ``json_schema`` structured output, a prompt
over the context length; OpenAI's strict mode: a ``maxLength`` in the schema).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PROSE",
    "Answerer",
    "Behaviour",
    "RecordedRequest",
    "approx_token_count",
    "constant_answer",
    "message_text",
    "ramble",
    "refusal_of",
]

Answerer = Callable[[list[dict[str, Any]]], str]
"""Turns the request's messages into the assistant's answer text."""

_TOKEN = re.compile(r"\w+|[^\w\s]")
PROSE = "I am sorry, but I cannot give a structured answer for this report."

def approx_token_count(text: str) -> int:
    """Words and punctuation marks: the fake server's stand-in for a tokenizer."""
    return len(_TOKEN.findall(text))


def constant_answer(messages: list[dict[str, Any]]) -> str:
    return "{}"


@dataclass(frozen=True)
class Behaviour:
    """What the server does with one request; build one with the class methods."""

    status: int = 200
    latency: float | None = None
    answer: str | None = None
    hangs: bool = False
    cut_off: bool = False
    non_json: bool = False
    message: str | None = None
    thinks: bool = False
    wraps: str | None = None
    rambles: bool = False

    @classmethod
    def fail(cls, status: int, message: str | None = None) -> Behaviour:
        """Answer with HTTP ``status`` (401, 404, 429, 500, 503 ...) and an OpenAI-style error
        body saying ``message`` (default ``fake HTTP <status>``)."""
        return cls(status=status, message=message)

    @classmethod
    def stall(cls) -> Behaviour:
        """Never answer (until the client times out and hangs up)."""
        return cls(hangs=True)

    @classmethod
    def truncated(cls) -> Behaviour:
        """The normal answer cut in half, with ``finish_reason: length``."""
        return cls(cut_off=True)

    @classmethod
    def thinking(cls) -> Behaviour:
        """The normal answer after a ``<think>`` block (Qwen3, DeepSeek-R1 and kin)."""
        return cls(thinks=True)

    @classmethod
    def wrapped(cls, key: str = "findings") -> Behaviour:
        """The normal JSON answer wrapped in one outer key (schema drift of small models)."""
        return cls(wraps=key)

    @classmethod
    def rambling(cls) -> Behaviour:
        """The normal JSON answer with every free-text string written on and on, as SmolLM2
        does under a grammar: a string ends at its ``maxLength`` where the request's schema has
        one (the grammar closes it there), else the answer runs to ``max_tokens`` and is cut
        off (``finish_reason: length``)."""
        return cls(rambles=True)

    @classmethod
    def prose(cls) -> Behaviour:
        """A polite sentence instead of JSON."""
        return cls(non_json=True)

    @classmethod
    def reply(cls, text: str) -> Behaviour:
        """Exactly ``text``."""
        return cls(answer=text)

    @classmethod
    def slow(cls, seconds: float) -> Behaviour:
        """The normal answer after ``seconds``."""
        return cls(latency=seconds)


@dataclass(frozen=True)
class RecordedRequest:
    """One chat request as the server saw it."""

    messages: list[dict[str, Any]]
    params: dict[str, Any]
    behaviour: Behaviour
    started: float


def message_text(content: Any) -> str:
    """The text of a chat message's content (a string, or OpenAI's list of parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


_FILLER = " and the rest of the image is described once more"
_ENDLESS = 40_000
"""Characters of a free-text string no schema caps (far past any ``max_tokens``)."""


def sent_schema(params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The JSON Schema a request sends as structured output, in any dialect."""
    response_format = params.get("response_format")
    if isinstance(response_format, Mapping):
        schema = (response_format.get("json_schema") or {}).get("schema") \
            if response_format.get("type") == "json_schema" else response_format.get("schema")
        return dict(schema) if isinstance(schema, Mapping) else None
    return dict(params["format"]) if isinstance(params.get("format"), Mapping) else None


def _node(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return target if isinstance(target, Mapping) else {}
    return schema


def _written_on(value: Any, schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    schema = _node(schema, root)
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        return {key: _written_on(item, properties.get(key) or {}, root)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_written_on(item, schema.get("items") or {}, root) for item in value]
    if not isinstance(value, str) or "enum" in schema or "const" in schema:
        return value
    limit = schema.get("maxLength")
    size = limit if isinstance(limit, int) else _ENDLESS
    return (value + _FILLER * (size // len(_FILLER) + 1))[:size]


def _first_tokens(text: str, count: int) -> str:
    for number, match in enumerate(_TOKEN.finditer(text), start=1):
        if number == count:
            return text[:match.end()]
    return text


def ramble(text: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """``text`` (a JSON answer) with its free text written on until the request's schema or
    ``max_tokens`` stops it; the answer and its ``finish_reason``."""
    schema = sent_schema(params) or {}
    answer = json.dumps(_written_on(json.loads(text), schema, schema))
    limit = params.get("max_tokens")
    if isinstance(limit, int) and approx_token_count(answer) > limit:
        return _first_tokens(answer, limit), "length"
    return answer, "stop"


def refusal_of(messages: list[dict[str, Any]], params: dict[str, Any], *, dialect: str,
               context_length: int | None) -> tuple[int, Any] | None:
    """What a real server says to a request it cannot take (dialect, context length)."""
    kind = (params.get("response_format") or {}).get("type")
    if dialect == "llamacpp" and kind not in (None, "text", "json_object"):
        return 500, _error("1 validation error for CreateChatCompletionRequest\n"
                           "response_format.type\n  Input should be 'text' or "
                           "'json_object'", "server_error")
    if dialect == "openai_strict" and '"maxLength"' in json.dumps(sent_schema(params) or {}):
        return 400, _error("Invalid schema for response_format: In context=(), 'maxLength' "
                           "is not permitted.", "invalid_request_error")
    if context_length is None:
        return None
    prompt = sum(approx_token_count(message_text(m.get("content"))) + 4 for m in messages)
    answer = int(params.get("max_tokens") or 0)
    if prompt + answer > context_length:
        return 400, _error(
            f"Requested tokens ({prompt + answer}) exceed context window of "
            f"{context_length}: you requested {prompt + answer} tokens ({prompt} in "
            f"the messages, {answer} in the completion)", "invalid_request_error")
    return None


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": kind}}
