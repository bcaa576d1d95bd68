"""What the fake server does with a request: scripted behaviours, and the refusals of real servers.

``Behaviour`` scripts one answer (a failure, a stall, a cut-off, prose, a ``<think>`` block, a
wrapped object); ``refusal_of`` says what llama-cpp-python's server says to a request it cannot
take (OpenAI's ``json_schema`` structured output, a prompt over the context length).
"""

from __future__ import annotations

import re
from collections.abc import Callable
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


def refusal_of(messages: list[dict[str, Any]], params: dict[str, Any], *, dialect: str,
               context_length: int | None) -> tuple[int, Any] | None:
    """What a real server says to a request it cannot take (dialect, context length)."""
    kind = (params.get("response_format") or {}).get("type")
    if dialect == "llamacpp" and kind not in (None, "text", "json_object"):
        return 500, _error("1 validation error for CreateChatCompletionRequest\n"
                           "response_format.type\n  Input should be 'text' or "
                           "'json_object'", "server_error")
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
