"""What every request goes through: the cache, a concurrency limit, retries, accounting.

``ModelClient.complete(messages)`` returns the cached answer when there is one; otherwise it
waits for one of ``concurrency`` slots, asks the backend, retries transient failures (HTTP 429,
5xx, timeouts) with exponential backoff up to ``max_attempts``, stores the answer and counts
its tokens and cost. A request that still fails raises ``RequestError`` with the reason.

Two kinds of failure stop the whole run instead (``LLMStopError``; nothing is retried): a
configuration error (missing or refused credentials, HTTP 401 / 403 / 404, an unsupported
parameter) at the first request, and ``max_connection_failures`` consecutive attempts that could
not reach the server (the circuit breaker; every request after it fails at once, unsent).
``usage.requests`` counts only requests that reached a server.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from radprompt.errors import RadpromptError
from radprompt.llm.base import Backend, BackendError, Completion, Message
from radprompt.llm.cache import ResponseCache, cache_key
from radprompt.llm.context import ContextBudget
from radprompt.llm.dialects import (
    asks_for_another_dialect,
    next_dialect,
    to_dialect,
    uses_structured_output,
)

__all__ = [
    "ConfigurationError",
    "LLMStopError",
    "ModelClient",
    "Pricing",
    "RequestError",
    "ServerUnreachableError",
    "Usage",
]

logger = logging.getLogger(__name__)


class RequestError(RadpromptError):
    """A request that failed for good (after its retries, or at once when not transient)."""


class LLMStopError(RadpromptError):
    """No request of this run can succeed: the run stops (what it finished is kept)."""


class ConfigurationError(LLMStopError):
    """The model set-up is wrong (credentials, model name, endpoint, a parameter)."""


class ServerUnreachableError(LLMStopError):
    """``max_connection_failures`` attempts in a row could not reach the server."""


@dataclass(frozen=True)
class Pricing:
    """US dollars per million tokens; overrides what the backend reports."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        return (prompt_tokens * self.input_per_mtok
                + completion_tokens * self.output_per_mtok) / 1e6


@dataclass
class Usage:
    """Requests, tokens and cost of a run; cached answers cost nothing and are counted apart."""

    requests: int = 0
    answered: int = 0
    cache_hits: int = 0
    retries: int = 0
    failed_requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    priced_requests: int = 0
    cached_prompt_tokens: int = 0
    failure_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def cost_known(self) -> bool:
        """Whether every answer that was paid for had a price."""
        return self.priced_requests == self.answered

    def add(self, other: Usage) -> None:
        for name in ("requests", "answered", "cache_hits", "retries", "failed_requests",
                     "prompt_tokens", "completion_tokens", "cost", "priced_requests",
                     "cached_prompt_tokens"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.failure_reasons.items():
            self.failure_reasons[reason] = self.failure_reasons.get(reason, 0) + count


class ModelClient:
    """One model behind a backend, with cache, concurrency limit, retries and accounting."""

    def __init__(
        self,
        *,
        backend: Backend,
        model: str,
        params: Mapping[str, Any],
        cache: ResponseCache | None = None,
        concurrency: int = 8,
        max_attempts: int = 4,
        backoff: float = 1.0,
        pricing: Pricing | None = None,
        max_connection_failures: int = 8,
        dialect: str = "auto",
        context_length: int | None = None,
        first_dialect: str = "json_schema",
    ) -> None:
        self.backend = backend
        self.model = model
        self.params = dict(params)
        self.cache = cache
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.pricing = pricing
        self.max_connection_failures = max_connection_failures
        self.usage = Usage()
        self.dialect = first_dialect if dialect == "auto" else dialect
        """The structured-output dialect requests are sent in (``radprompt.llm.dialects``;
        ``first_dialect`` is where ``auto`` starts)."""
        self.negotiates = dialect == "auto"
        self.budget = ContextBudget(context_length=context_length)
        self._unreached_in_a_row = 0
        self._stopped: LLMStopError | None = None
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.concurrency))
        return self._slots[1]

    async def complete(
        self,
        messages: Sequence[Message],
        *,
        params: Mapping[str, Any] | None = None,
        store: bool = True,
    ) -> Completion:
        """The answer to ``messages``; ``params`` add to (or override) the client's.

        With ``store=False`` a new answer is not cached until ``store()`` is called for it
        (the extractor caches an answer only once it, or the repair it led to, was usable).
        """
        merged = {**self.params, **params} if params else self.params
        key = cache_key(model=self.model, params=merged, messages=messages)
        if self.cache is not None and (hit := self.cache.get(key)) is not None:
            self.usage.cache_hits += 1
            self.usage.cached_prompt_tokens += hit.prompt_tokens
            return hit
        completion = await self._send(messages, merged)
        if store and self.cache is not None:
            self.cache.put(key, completion, model=self.model)
        return completion

    @property
    def context_length(self) -> int | None:
        return self.budget.context_length

    def fits(self, messages: Sequence[Message], *,
             params: Mapping[str, Any] | None = None) -> bool:
        """Whether ``messages`` and the full ``max_tokens`` (as sent) fit the model's context."""
        merged = {**self.params, **params} if params else self.params
        return self.budget.fits(messages, to_dialect(merged, self.dialect))

    def store(self, messages: Sequence[Message], completion: Completion, *,
              params: Mapping[str, Any] | None = None) -> None:
        """Cache ``completion`` as the answer to ``messages`` (no-op for a cached one)."""
        if self.cache is None or completion.cached:
            return
        merged = {**self.params, **params} if params else self.params
        key = cache_key(model=self.model, params=merged, messages=messages)
        self.cache.put(key, completion, model=self.model)

    def _wire(self, messages: Sequence[Message], params: Mapping[str, Any]) -> dict[str, Any]:
        """The parameters as sent: structured output in the server's dialect, ``max_tokens``
        lowered to what the context leaves; a request that cannot fit fails unsent."""
        wire, problem = self.budget.fit(messages, to_dialect(params, self.dialect))
        if problem is not None:
            self.usage.failed_requests += 1
            kind = "context length"
            self.usage.failure_reasons[kind] = self.usage.failure_reasons.get(kind, 0) + 1
            raise RequestError(f"not sent: {problem}")
        return wire

    def _switch_dialect(self, used: str, error: BackendError) -> bool:
        """After the server refused structured output in dialect ``used``: move to the next
        dialect (``auto`` only); whether there is one to try."""
        if not (error.rejects_structured_output and self.negotiates
                and asks_for_another_dialect(str(error))):
            return False
        if self.dialect == used and (following := next_dialect(used, str(error))) is not None:
            logger.info("%s refused structured output as %s (%s); trying %s", self.model,
                        used, error, following)
            self.dialect = following
        return self.dialect != used

    async def _send(self, messages: Sequence[Message], params: Mapping[str, Any]) -> Completion:
        semaphore = self._semaphore()
        error: BackendError | None = None
        attempt = 0
        while attempt < self.max_attempts:
            attempt += 1
            if error is not None and error.transient:
                self.usage.retries += 1
                await asyncio.sleep(self._delay(attempt, error))
            async with semaphore:
                self._check_stopped()
                used, wire = self.dialect, self._wire(messages, params)
                try:
                    completion = await self.backend.complete(messages, params=wire)
                except BackendError as exc:
                    error = exc
                    if uses_structured_output(wire) and self._switch_dialect(used, exc):
                        self.usage.requests += 1
                        attempt -= 1  # the other dialect is a new first attempt
                        continue
                    self._note_failure(exc)
                    logger.debug("attempt %d failed: %s", attempt, exc)
                    if not exc.transient:
                        break
                    continue
            self.usage.requests += 1
            self._unreached_in_a_row = 0
            if completion.prompt_tokens:
                self.budget.observe(messages, completion.prompt_tokens)
            return self._priced(completion)
        assert error is not None
        self.usage.failed_requests += 1
        reason = str(error) if not error.transient else (
            f"{error} (after {self.max_attempts} attempts)")
        kind = f"HTTP {error.status}" if error.status else str(error).split(":", 1)[0]
        self.usage.failure_reasons[kind] = self.usage.failure_reasons.get(kind, 0) + 1
        raise RequestError(reason)

    def _check_stopped(self) -> None:
        if self._stopped is not None:
            raise self._stopped

    def _note_failure(self, error: BackendError) -> None:
        """Count the attempt if it reached a server; stop the run on a configuration error or
        when the circuit breaker trips."""
        if error.reached:
            self.usage.requests += 1
            self._unreached_in_a_row = 0
        else:
            self._unreached_in_a_row += 1
        where = f"{self.model}" + (f" at {self.backend.api_base}" if self.backend.api_base
                                   else "")
        if (error.rejects_structured_output and not error.configuration
                and self._stopped is None):
            self._stopped = ConfigurationError(
                f"{where}: {error} - the server refused structured output (sent as "
                f"{self.dialect}) - a configuration error, so no request was retried; set "
                "structured_output_dialect in the recipe (openai: OpenAI's API; json_schema: "
                "vLLM; json_object: llama.cpp; ollama: Ollama's format) or turn "
                "structured output off (--no-structured-output)")
        elif error.configuration and self._stopped is None:
            self._stopped = ConfigurationError(
                f"{where}: {error} - a configuration error, so no request was retried; check "
                "the model name, --api-base, the API key and the recipe's parameters "
                "(radprompt models check --model ... --api-base ... tests them)")
        elif self._unreached_in_a_row >= self.max_connection_failures and self._stopped is None:
            self._stopped = ServerUnreachableError(
                f"{where}: stopped after {self._unreached_in_a_row} connection failures in a "
                f"row ({error}); is the server running? (max_connection_failures in the recipe "
                "sets how many)")
        self._check_stopped()

    def _delay(self, attempt: int, error: BackendError) -> float:
        delay = self.backoff * 2 ** (attempt - 2)
        if error.retry_after is not None:
            delay = max(delay, min(error.retry_after, 60.0))
        return delay * random.uniform(0.8, 1.2)

    def _priced(self, completion: Completion) -> Completion:
        usage = self.usage
        usage.answered += 1
        usage.prompt_tokens += completion.prompt_tokens
        usage.completion_tokens += completion.completion_tokens
        cost = completion.cost
        if self.pricing is not None:
            cost = self.pricing.cost(completion.prompt_tokens, completion.completion_tokens)
        if cost is not None:
            usage.cost += cost
            usage.priced_requests += 1
        if cost == completion.cost:
            return completion
        return Completion(completion.text, completion.prompt_tokens, completion.completion_tokens,
                          cost, completion.finish_reason)

    async def aclose(self) -> None:
        await self.backend.aclose()
