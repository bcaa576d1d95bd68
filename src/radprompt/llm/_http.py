"""A lean client for OpenAI-compatible chat servers (``vllm serve``, llama.cpp, LM Studio ...).

It takes the same LiteLLM model strings (``hosted_vllm/Qwen/Qwen3-14B`` sends ``model:
Qwen/Qwen3-14B``) and exists for throughput: LiteLLM spends a few milliseconds of CPU per
request on bookkeeping, which at hundreds of requests per second against a local GPU server is
the bottleneck. This client spends a fraction of one. It has no provider-specific logic.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any

from radprompt.llm._litellm import is_transient_status
from radprompt.llm.base import Backend, BackendError, Completion, Message, require_extra

__all__ = ["OpenAICompatibleBackend"]

_PREFIXES = ("hosted_vllm/", "openai/", "openai_like/", "vllm/", "custom_openai/")
_OPENAI = "https://api.openai.com/v1"


def served_model_name(model: str) -> str:
    """``hosted_vllm/Qwen/Qwen3-14B`` -> ``Qwen/Qwen3-14B``."""
    for prefix in _PREFIXES:
        if model.startswith(prefix):
            return model[len(prefix):]
    return model


class OpenAICompatibleBackend(Backend):
    """``POST {api_base}/chat/completions`` over one aiohttp session per event loop.

    Example::

        >>> backend = OpenAICompatibleBackend(model="hosted_vllm/Qwen/Qwen3-14B",
        ...                                   api_base="http://127.0.0.1:8000/v1")
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
        super().__init__(model=model, api_base=api_base, api_key=api_key, timeout=timeout,
                         options=options)
        self._session: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> Any:
        aiohttp = require_extra("aiohttp", extra="llm", needed_by="the openai_compatible backend")
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            headers = {"Content-Type": "application/json"}
            if self.api_key:
                headers["Authorization"] = f"Bearer {self.api_key}"
            connector = aiohttp.TCPConnector(limit=0, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(headers=headers, connector=connector,
                                                  trust_env=False)
            self._loop = loop
        return aiohttp, self._session

    async def complete(
        self, messages: Sequence[Message], *, params: Mapping[str, Any]
    ) -> Completion:
        aiohttp, session = self._client()
        url = (self.api_base or _OPENAI).rstrip("/") + "/chat/completions"
        body = {"model": served_model_name(self.model), "messages": [dict(m) for m in messages],
                **self.options, **params}
        try:
            async with session.post(
                url, data=json.dumps(body), timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                raw = await response.read()
                status = response.status
                retry_after = response.headers.get("Retry-After")
        except aiohttp.ClientConnectorError as exc:  # refused, unresolvable, unreachable
            raise BackendError(f"cannot connect to {url}: {exc.os_error or exc}",
                               transient=True, reached=False) from exc
        except TimeoutError as exc:
            connecting = isinstance(exc, getattr(aiohttp, "ConnectionTimeoutError", ()))
            raise BackendError(f"no answer within {self.timeout:g} s (timeout)",
                               transient=True, reached=not connecting) from exc
        except aiohttp.ClientError as exc:
            raise BackendError(f"connection failed: {type(exc).__name__}: {exc}",
                               transient=True, reached=True) from exc
        if status != 200:
            raise BackendError(
                f"HTTP {status}: {_error_message(raw)}",
                transient=is_transient_status(status), status=status,
                retry_after=_seconds(retry_after),
            )
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise BackendError(f"the server's reply is not a chat completion: {raw[:200]!r}",
                               transient=True) from exc
        usage = data.get("usage") or {}
        return Completion(
            text=text,
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            cost=None,
            finish_reason=choice.get("finish_reason"),
        )

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None


def _error_message(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error")
        if isinstance(error, dict):
            return str(error.get("message", error))[:300]
        if error:
            return str(error)[:300]
    except (ValueError, AttributeError):
        pass
    return raw[:300].decode("utf-8", "replace")


def _seconds(value: str | None) -> float | None:
    try:
        return float(value) if value else None
    except ValueError:
        return None
