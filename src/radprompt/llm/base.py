"""The Backend plug-in kind: send chat messages to a model, get its answer and token counts.

One abstract method, ``complete``. A backend makes exactly one attempt; retries, caching,
concurrency limits and accounting belong to ``radprompt.llm.client.ModelClient``. A failure
raises ``BackendError`` saying whether another attempt may succeed (``transient``: HTTP 429,
5xx, timeouts, dropped connections) or not (a bad request, a wrong key, an unknown model),
whether the request reached a server at all (``reached``), and whether no request can succeed
until the user changes something (``configuration``: a missing or refused key, an unknown
model or endpoint, a parameter the server does not support).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from radprompt.errors import MissingExtraError, RadpromptError, require

__all__ = [
    "Backend",
    "BackendError",
    "Completion",
    "Message",
    "MissingExtraError",
    "import_litellm",
    "is_configuration_error",
    "require_extra",
]

_CONFIGURATION_STATUS = frozenset({401, 403, 404})
_UNSUPPORTED = ("unsupported", "not supported", "unrecognized", "unknown parameter",
                "extra inputs are not permitted", "extra_forbidden", "unexpected keyword",
                "does not support")
_NO_CREDENTIALS = ("missing credentials", "api_key client option must be set",
                   "no api key", "api key not found", "incorrect api key", "invalid api key")


def is_configuration_error(*, status: int | None, message: str) -> bool:
    """Whether an error says the set-up is wrong for every request, not this one: HTTP 401,
    403 or 404, missing credentials, or a 400 naming a parameter the server does not support
    (a 400 about one request, such as a report over the context length, is not)."""
    text = message.lower()
    if status in _CONFIGURATION_STATUS or any(words in text for words in _NO_CREDENTIALS):
        return True
    return status in (400, 422) and any(words in text for words in _UNSUPPORTED)

Message = Mapping[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": text}``."""


@dataclass(frozen=True, slots=True)
class Completion:
    """A model's answer to one request."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    """US dollars, ``None`` when the price of the model is not known."""
    finish_reason: str | None = None
    cached: bool = False

    @property
    def cut_off(self) -> bool:
        """The model stopped at its token limit, not at the end of its answer."""
        return self.finish_reason == "length"


class BackendError(RadpromptError):
    """A request that failed; ``transient`` errors are worth another attempt."""

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        status: int | None = None,
        retry_after: float | None = None,
        reached: bool | None = None,
        configuration: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.reached = status is not None if reached is None else reached
        """Whether the request reached a server (a refused connection did not)."""
        self.configuration = (is_configuration_error(status=status, message=message)
                              if configuration is None else configuration)
        """No request can succeed until the user changes the set-up; never retried."""
        from radprompt.llm.dialects import rejects_structured_output

        self.rejects_structured_output = rejects_structured_output(status=status,
                                                                   message=message)
        """The server refused the structured-output parameter (the client may try another
        dialect; never retried as it is)."""
        self.transient = (transient and not self.configuration
                          and not self.rejects_structured_output)


require_extra = require
"""Import an optional package or raise ``MissingExtraError`` (``radprompt.errors.require``)."""


def import_litellm(*, needed_by: str) -> Any:
    """Import LiteLLM with its cost map read from the installed package, never fetched: the
    product reaches no host but the model endpoint the user named."""
    import os

    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    return require_extra("litellm", extra="llm", needed_by=needed_by)


class Backend(ABC):
    """Base class of every model backend. One abstract method: ``complete``.

    ``params`` are decoding parameters in OpenAI's names (``temperature``, ``max_tokens``,
    ``top_p``, ``seed``, ``response_format`` ...). The constructor takes keyword-only
    arguments and only stores them; connections open on first use, inside the event loop.
    """

    def __init__(
        self,
        *,
        model: str,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout = timeout
        self.options = dict(options or {})

    @abstractmethod
    async def complete(
        self, messages: Sequence[Message], *, params: Mapping[str, Any]
    ) -> Completion:
        """Send ``messages`` once and return the answer, or raise ``BackendError``."""

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release connections opened by ``complete`` (called at the end of each run)."""
