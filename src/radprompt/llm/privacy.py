"""Reports go to a provider off this machine only when the user has said so.

The check is made on the endpoint the client will actually call, resolved explicitly for every
provider (``resolve_endpoint``): the ``api_base`` given (command line or recipe), else the
provider's environment variable that LiteLLM would read (``OLLAMA_API_BASE``,
``HOSTED_VLLM_API_BASE``, ``OPENAI_BASE_URL`` / ``OPENAI_API_BASE`` ... : honoured, logged,
and named in any refusal), else the provider's default (``ollama/...``: ``localhost:11434``).
The resolved URL is then handed to the backend, so what was checked is what is called.

A destination is local when the backend runs in-process (``vllm``, ``hf``) or the endpoint is
on loopback (``localhost``, 127.0.0.0/8, ``::1``). Hosted providers and every other host are
remote: they receive reports only with ``--allow-remote``, ``allow_remote: true`` in the user's
extractor recipe (never a bundle's), or ``RADPROMPT_ALLOW_REMOTE=1``. Names are not resolved: a
host name other than ``localhost`` is remote even if it points here.

Example::

    >>> destination(model="hosted_vllm/Qwen/Qwen3-14B", api_base="http://127.0.0.1:8000/v1")
    >>> destination(model="openai/gpt-4o-mini", api_base=None, environ={})
    'the openai API'
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from radprompt.errors import RadpromptError

__all__ = [
    "ALLOW_REMOTE_ENV",
    "Endpoint",
    "RemoteProviderError",
    "check_destination",
    "destination",
    "is_loopback_url",
    "resolve_endpoint",
]

logger = logging.getLogger(__name__)

ALLOW_REMOTE_ENV = "RADPROMPT_ALLOW_REMOTE"
IN_PROCESS_BACKENDS = frozenset({"vllm", "hf"})
_DEFAULT_BASES = {"ollama": "http://localhost:11434", "ollama_chat": "http://localhost:11434"}
_ENV_NAMES = {"ollama_chat": "OLLAMA", "hosted_vllm": "HOSTED_VLLM", "openai_like": "OPENAI_LIKE",
              "custom_openai": "OPENAI"}


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


@dataclass(frozen=True)
class Endpoint:
    """The endpoint a client will call: ``url`` (``None``: the provider's hosted API),
    ``source`` (``api_base``, ``$VARIABLE``, ``default`` or ``in-process``) and ``where`` (in
    words; ``None`` when reports stay on this machine)."""

    url: str | None
    source: str
    where: str | None

    @property
    def local(self) -> bool:
        return self.where is None


def _provider(model: str) -> str:
    return model.split("/", 1)[0].lower() if "/" in model else "openai"


def _environment_bases(provider: str, environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (variable, value) pairs LiteLLM may read as this provider's API base."""
    stem = _ENV_NAMES.get(provider, provider.upper().replace("-", "_"))
    names = [f"{stem}_API_BASE", f"{stem}_BASE_URL"]
    return [(name, environ[name].strip()) for name in names if environ.get(name, "").strip()]


def _host(url: str) -> str:
    return urlsplit(url if "//" in url else f"//{url}").hostname or url


def resolve_endpoint(*, model: str, api_base: str | None, backend: str = "litellm",
                     environ: Mapping[str, str] | None = None) -> Endpoint:
    """The endpoint a request for ``model`` goes to, resolved as the client would."""
    if backend in IN_PROCESS_BACKENDS:
        return Endpoint(url=api_base, source="in-process", where=None)
    provider = _provider(model)
    if api_base:
        source, url = "api_base", api_base
    else:
        found = _environment_bases(provider, os.environ if environ is None else environ)
        values = {value for _, value in found}
        if len(values) > 1:
            listed = ", ".join(f"${name}={value}" for name, value in found)
            raise RemoteProviderError(f"{listed} disagree on where {model} is served; unset one "
                                      "or pass --api-base")
        if found:
            name, url = found[0]
            source = f"${name}"
            logger.warning("%s: requests go to %s, taken from $%s", model, url, name)
        elif provider in _DEFAULT_BASES:
            source, url = "default", _DEFAULT_BASES[provider]
        else:
            return Endpoint(url=None, source="default", where=f"the {provider} API")
    where = None if is_loopback_url(url) else _host(url)
    return Endpoint(url=url, source=source, where=where)


def destination(*, model: str, api_base: str | None, backend: str = "litellm",
                environ: Mapping[str, str] | None = None) -> str | None:
    """Where reports would go, in words; ``None`` when they stay on this machine."""
    return resolve_endpoint(model=model, api_base=api_base, backend=backend,
                            environ=environ).where


def _allowed_by_environment() -> bool:
    return os.environ.get(ALLOW_REMOTE_ENV, "").strip().lower() in ("1", "true", "yes")


def check_destination(
    *, model: str, api_base: str | None, backend: str = "litellm", allow_remote: bool = False
) -> Endpoint:
    """The resolved endpoint; raise ``RemoteProviderError`` unless reports stay local or remote
    use is allowed. Give the returned ``url`` to the client, so the endpoint checked is the one
    called."""
    endpoint = resolve_endpoint(model=model, api_base=api_base, backend=backend)
    if endpoint.local or allow_remote or _allowed_by_environment():
        return endpoint
    origin = f" (from {endpoint.source})" if endpoint.source.startswith("$") else ""
    raise RemoteProviderError(
        f"refusing to send reports to {model} at {endpoint.where}{origin}, which is not on "
        "this machine; "
        "reports can contain protected health information. If this provider may receive "
        "them, pass --allow-remote, or put 'allow_remote: true' in your extractor recipe, or "
        f"set {ALLOW_REMOTE_ENV}=1. For a local server give --api-base http://127.0.0.1:PORT/v1."
    )
