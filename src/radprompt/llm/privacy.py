"""Reports go to a provider off this machine only when the user has said so.

A destination is local when the backend runs in-process (``vllm``, ``hf``) or the API base is on
loopback (``localhost``, 127.0.0.0/8, ``::1``); ``ollama/...`` without an API base is local
(its default server is ``localhost:11434``). Hosted providers (``openai/...``,
``anthropic/...`` with no API base) and every other host are remote: they receive reports only
with ``--allow-remote``, ``allow_remote: true`` in the extractor recipe, or
``RADPROMPT_ALLOW_REMOTE=1``. Names are not resolved: a host name other than ``localhost`` is
remote even if it points here.

Example::

    >>> destination(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1")
    >>> destination(model="openai/gpt-4o-mini", api_base=None)
    'the openai API'
"""

from __future__ import annotations

import ipaddress
import os
from urllib.parse import urlsplit

from radprompt.errors import RadpromptError

__all__ = [
    "ALLOW_REMOTE_ENV",
    "RemoteProviderError",
    "check_destination",
    "destination",
    "is_loopback_url",
]

ALLOW_REMOTE_ENV = "RADPROMPT_ALLOW_REMOTE"
IN_PROCESS_BACKENDS = frozenset({"vllm", "hf"})
_LOCAL_DEFAULTS = frozenset({"ollama", "ollama_chat"})


class RemoteProviderError(RadpromptError):
    """The configured provider is not on this machine and remote use was not allowed."""


def is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is ``localhost`` or a loopback address."""
    host = urlsplit(url if "//" in url else f"//{url}").hostname or ""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(
        ".localhost"
    ):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def destination(*, model: str, api_base: str | None, backend: str = "litellm") -> str | None:
    """Where reports would go, in words; ``None`` when they stay on this machine."""
    if backend in IN_PROCESS_BACKENDS:
        return None
    if api_base:
        if is_loopback_url(api_base):
            return None
        return urlsplit(api_base if "//" in api_base else f"//{api_base}").hostname or api_base
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    if provider in _LOCAL_DEFAULTS:
        return None
    return f"the {provider} API"


def _allowed_by_environment() -> bool:
    return os.environ.get(ALLOW_REMOTE_ENV, "").strip().lower() in ("1", "true", "yes")


def check_destination(
    *, model: str, api_base: str | None, backend: str = "litellm", allow_remote: bool = False
) -> None:
    """Raise ``RemoteProviderError`` unless reports stay local or remote use is allowed."""
    where = destination(model=model, api_base=api_base, backend=backend)
    if where is None or allow_remote or _allowed_by_environment():
        return
    raise RemoteProviderError(
        f"refusing to send reports to {model} at {where}, which is not on this machine; "
        "reports can contain protected health information. If this provider may receive "
        "them, pass --allow-remote, or put 'allow_remote: true' in your extractor recipe, or "
        f"set {ALLOW_REMOTE_ENV}=1. For a local server give --api-base http://127.0.0.1:PORT/v1."
    )
