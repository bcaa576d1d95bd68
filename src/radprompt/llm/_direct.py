"""Proxy-free connections for the LiteLLM backend when the endpoint is on this machine.

LiteLLM's HTTP clients read ``HTTP_PROXY`` / ``HTTPS_PROXY`` from the environment for every
host, loopback included, so a request to ``http://127.0.0.1:8000/v1`` would travel through a
proxy (and the reports with it). For a loopback endpoint this module hands LiteLLM its own
client that ignores the environment: an ``AsyncHTTPHandler`` over a plain transport for the
providers LiteLLM serves with its own HTTP handler (``hosted_vllm``, ``ollama`` ...), an
``openai.AsyncOpenAI`` client for those it serves with the OpenAI SDK. The lean
``openai_compatible`` backend never reads the environment (``trust_env=False``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from radprompt.llm.privacy import is_loopback_url

__all__ = ["LoopbackClients"]

_HANDLER_PROVIDERS = frozenset({"hosted_vllm", "ollama", "ollama_chat"})
"""Providers LiteLLM serves through its own HTTP handler (the rest use the OpenAI SDK)."""


class LoopbackClients:
    """One proxy-free client per event loop; ``kwargs()`` is empty for a remote endpoint."""

    def __init__(self, *, model: str, api_base: str | None, api_key: str | None,
                 timeout: float) -> None:
        self.model = model
        self.api_base = api_base
        self.api_key = api_key
        self.timeout = timeout
        self._clients: dict[int, Any] = {}

    @property
    def active(self) -> bool:
        return bool(self.api_base) and is_loopback_url(str(self.api_base))

    def kwargs(self) -> dict[str, Any]:
        """Extra ``litellm.acompletion`` arguments: ``{"client": ...}`` on loopback."""
        if not self.active:
            return {}
        loop = id(asyncio.get_running_loop())
        if loop not in self._clients:
            self._clients[loop] = self._new_client()
        return {"client": self._clients[loop]}

    def _new_client(self) -> Any:
        provider = self.model.split("/", 1)[0] if "/" in self.model else "openai"
        if provider in _HANDLER_PROVIDERS:
            import httpx
            from litellm.llms.custom_httpx.http_handler import AsyncHTTPHandler

            # With an explicit transport the handler's httpx client has trust_env=False.
            return AsyncHTTPHandler(timeout=self.timeout, transport=httpx.AsyncHTTPTransport())
        import openai

        return openai.AsyncOpenAI(
            base_url=self.api_base, api_key=self.api_key or "EMPTY", max_retries=0,
            timeout=self.timeout, http_client=openai.DefaultAsyncHttpxClient(trust_env=False))

    async def aclose(self) -> None:
        loop = id(asyncio.get_running_loop())
        client = self._clients.pop(loop, None)
        if client is None:
            return
        close = getattr(client, "close", None) or getattr(client, "aclose", None)
        if close is not None:
            await close()
