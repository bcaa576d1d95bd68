"""The LiteLLM backend: any provider LiteLLM knows, by its model string."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from radprompt.llm._direct import LoopbackClients
from radprompt.llm.base import Backend, BackendError, Completion, Message, import_litellm

__all__ = ["LiteLLMBackend", "is_transient_status"]

_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def is_transient_status(status: int | None) -> bool:
    """HTTP statuses worth another attempt: 408, 409, 425, 429 and every 5xx."""
    return status is not None and (status in _TRANSIENT_STATUS or status >= 500)


class LiteLLMBackend(Backend):
    """``litellm.acompletion`` with LiteLLM's own retries off (``ModelClient`` retries).

    Example::

        >>> backend = LiteLLMBackend(model="hosted_vllm/Qwen/Qwen3-14B",
        ...                          api_base="http://127.0.0.1:8000/v1")
    """

    async def complete(
        self, messages: Sequence[Message], *, params: Mapping[str, Any]
    ) -> Completion:
        litellm = import_litellm(needed_by="the litellm backend")
        litellm.suppress_debug_info = True  # no "Give Feedback" banners on stdout
        try:
            response = await litellm.acompletion(
                model=self.model,
                messages=[dict(m) for m in messages],
                api_base=self.api_base,
                api_key=self.api_key,
                timeout=self.timeout,
                num_retries=0,
                max_retries=0,  # nor the OpenAI SDK's own
                **self._loopback().kwargs(),  # no environment proxy for a loopback endpoint
                **self.options,
                **params,
            )
        except Exception as exc:
            raise _backend_error(litellm, exc) from exc
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        hidden = getattr(response, "_hidden_params", None) or {}
        return Completion(
            text=choice.message.content or "",
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            cost=hidden.get("response_cost"),
            finish_reason=choice.finish_reason,
        )


    def _loopback(self) -> LoopbackClients:
        if getattr(self, "_direct", None) is None:
            self._direct = LoopbackClients(model=self.model, api_base=self.api_base,
                                           api_key=self.api_key, timeout=self.timeout)
        return self._direct

    async def aclose(self) -> None:
        if getattr(self, "_direct", None) is not None:
            await self._direct.aclose()


def _backend_error(litellm: Any, exc: Exception) -> BackendError:
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    unreached = status in (None, 500) and _refused(exc)
    if unreached:
        status = None
    transient = unreached or isinstance(exc, litellm.Timeout | litellm.APIConnectionError) or (
        is_transient_status(status)
    )
    kind = type(exc).__name__
    detail = str(getattr(exc, "message", "") or exc).strip().splitlines()
    message = f"{kind}" + (f" (HTTP {status})" if status else "") + (
        f": {detail[0][:300]}" if detail else "")
    retry_after = None
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None and headers.get("retry-after"):
        try:
            retry_after = float(headers["retry-after"])
        except ValueError:
            retry_after = None
    return BackendError(message, transient=transient, status=status, retry_after=retry_after,
                        reached=not unreached)


def _refused(exc: BaseException) -> bool:
    """Whether the connection itself failed (refused, unresolvable, unreachable): somewhere in
    the exception's causes is an ``OSError`` raised while connecting."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if isinstance(current, ConnectionError | OSError) or name in (
                "ConnectError", "ClientConnectorError", "ConnectTimeout"):
            return True
        current = current.__cause__ or current.__context__
    return "connection refused" in str(exc).lower() or "connect call failed" in str(exc).lower()
