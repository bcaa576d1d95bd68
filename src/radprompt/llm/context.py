"""Prompt + answer against the model's context length, checked before a request is sent.

A server rejects a request whose prompt tokens plus ``max_tokens`` exceed its context (llama.cpp:
HTTP 400 "you requested 9843 tokens (8343 in the messages, 1500 in the completion)"); a re-ask
conversation grows with every round. ``ContextBudget`` estimates the prompt's tokens from its
characters (calibrated on the prompt-token counts the server reports, starting from 4
characters per token, English BPE's usual density), and before each request either leaves it
alone, lowers ``max_tokens`` to what is left (not below ``min_answer_tokens``), or says why
the request cannot fit. Re-asks are trimmed by the caller first (``radprompt.llm.calls.fit_reask``).

Example::

    >>> budget = ContextBudget(context_length=1000)
    >>> params, problem = budget.fit([{"role": "user", "content": "x" * 1500}],
    ...                              {"max_tokens": 800})
    >>> params["max_tokens"], problem
    (617, None)
    >>> print(budget.fit([{"role": "user", "content": "x" * 4000}], {"max_tokens": 800})[1])
    ... # doctest: +NORMALIZE_WHITESPACE
    the prompt is about 1,008 tokens and the answer needs at least 256, over the model's
    context length of 1,000 tokens
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["ContextBudget"]

_PER_MESSAGE = 8
"""Tokens a chat template adds around each message (role markers, separators)."""


class ContextBudget:
    """The context length of one model and what a request of it may use."""

    def __init__(self, *, context_length: int | None, min_answer_tokens: int = 256) -> None:
        self.context_length = context_length
        self.min_answer_tokens = min_answer_tokens
        self.chars_per_token = 4.0
        self._calibrated = False

    def estimate(self, messages: Sequence[Mapping[str, Any]]) -> int:
        """Prompt tokens of ``messages``, erring on the high side."""
        chars = sum(len(str(message.get("content") or "")) for message in messages)
        return math.ceil(chars / self.chars_per_token) + _PER_MESSAGE * len(messages)

    def observe(self, messages: Sequence[Mapping[str, Any]], prompt_tokens: int) -> None:
        """Learn characters per token from a prompt the server counted (keeps the densest)."""
        chars = sum(len(str(message.get("content") or "")) for message in messages)
        tokens = prompt_tokens - _PER_MESSAGE * len(messages)
        if tokens > 50 and chars > 0:
            seen = max(1.0, 0.95 * chars / tokens)
            self.chars_per_token = min(self.chars_per_token, seen) if self._calibrated else seen
            self._calibrated = True

    def fits(self, messages: Sequence[Mapping[str, Any]], params: Mapping[str, Any]) -> bool:
        """Whether ``messages`` and the full ``max_tokens`` fit (``True`` when not known)."""
        if self.context_length is None:
            return True
        answer = int(params.get("max_tokens") or self.min_answer_tokens)
        return self.estimate(messages) + answer <= self.context_length

    def fit(self, messages: Sequence[Mapping[str, Any]],
            params: Mapping[str, Any]) -> tuple[dict[str, Any], str | None]:
        """``params`` for a request that fits (``max_tokens`` lowered if need be), or the
        reason it cannot."""
        wire = dict(params)
        if self.context_length is None:
            return wire, None
        prompt = self.estimate(messages)
        wanted = int(wire.get("max_tokens") or 0)
        room = self.context_length - prompt
        if wanted and prompt + wanted <= self.context_length:
            return wire, None
        needed = min(wanted or self.min_answer_tokens, self.min_answer_tokens)
        if room < needed:
            return wire, (f"the prompt is about {prompt:,} tokens and the answer needs at "
                          f"least {needed:,}, over the model's context length of "
                          f"{self.context_length:,} tokens")
        if wanted:
            wire["max_tokens"] = room
        return wire, None
