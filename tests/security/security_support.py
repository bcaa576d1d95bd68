"""Shared pieces of the security suite (imported by its tests as ``security_support``): a socket
guard, a mini prompt bundle, an attacker's re-hashing of an edited bundle, and a CLI runner.

The socket guard records every connection attempt and every name lookup; anything that is not
loopback is refused before it leaves the process, so a test can assert "no connection was
attempted" (``guard.remote == []``) and nothing can reach the network even if the code under
test is wrong.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from radprompt.bundles import MANIFEST, content_hash
from radprompt.cli import app

runner = CliRunner()
FIXTURES_MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini.yaml"


def invoke(*args: Any, env: dict[str, str] | None = None) -> Any:
    """Run ``radprompt ARGS`` in-process; the result has ``exit_code`` and ``output``."""
    return runner.invoke(app, [str(a) for a in args], env=env)


def _loopback(host: Any) -> bool:
    host = str(host)
    if host in ("localhost", "localhost.localdomain") or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@dataclass
class SocketGuard:
    """Connection attempts and name lookups seen; ``remote`` lists the non-loopback ones."""

    attempts: list[str] = field(default_factory=list)
    remote: list[str] = field(default_factory=list)


@pytest.fixture(name="socket_guard")
def socket_guard_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocketGuard]:
    guard = SocketGuard()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(address: Any) -> None:
        host = address[0] if isinstance(address, tuple) else address
        guard.attempts.append(str(address))
        if isinstance(host, str) and not _loopback(host):
            guard.remote.append(str(address))
            raise ConnectionRefusedError(f"socket guard: no connection to {address} in tests")

    def connect(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host if isinstance(host, str) else
                                              host.decode()):
            guard.remote.append(f"lookup {host}")
            raise socket.gaierror(socket.EAI_NONAME, f"socket guard: no lookup of {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield guard


@pytest.fixture(autouse=True, name="clean_environment")
def clean_environment_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No remote permission, endpoint, proxy or bundle key leaks in from the environment."""
    monkeypatch.setenv("RADPROMPT_CACHE_DIR", str(tmp_path / "cache"))
    for name in ("RADPROMPT_ALLOW_REMOTE", "RADPROMPT_BUNDLE_KEY", "OLLAMA_API_BASE",
                 "HOSTED_VLLM_API_BASE", "OPENAI_API_BASE", "OPENAI_BASE_URL", "HTTP_PROXY",
                 "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy",
                 "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def mini_prompt(model: str = "hosted_vllm/fake-model",
                api_base: str | None = "http://127.0.0.1:9/v1") -> tuple[Any, Any]:
    """A prompt version over the mini labelset and a recipe (nothing is contacted)."""
    from radprompt.labelset import load_labelset
    from radprompt.llm import LLMRecipe
    from radprompt.prompts import PromptVersion

    labelset = load_labelset(FIXTURES_MINI)
    version = PromptVersion.from_labelset(labelset)
    recipe = LLMRecipe(model=model, api_base=api_base, backend="openai_compatible",
                       max_attempts=1, timeout=2.0)
    return version, recipe


def write_mini_bundle(folder: Path, *, key: Any = None, **recipe: Any) -> Any:
    from radprompt.bundles import write_prompt_bundle

    version, base = mini_prompt(**recipe)
    return write_prompt_bundle(version, base, output=folder, review="reviewed",
                               approvals=[{"decision": "accept", "reviewer": "Dr. Real",
                                           "time": "2026-01-01T00:00:00", "comment": ""}],
                               key=key)


def rehash(folder: Path) -> None:
    """What an attacker who edited files does: recompute every listed sha256 and the content
    hash (the signature, if any, cannot be recomputed without the key)."""
    manifest_path = folder / MANIFEST
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest["files"] = {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*")) if path.is_file() and path.name != MANIFEST}
    manifest["content_hash"] = content_hash(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def edit_json(path: Path, **changes: Any) -> dict[str, Any]:
    data = json.loads(path.read_text("utf-8"))
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return dict(data)


def mini_reports_file(path: Path) -> Path:
    path.write_text('{"id": "s1", "text": "Right pneumothorax. (synthetic)"}\n'
                    '{"id": "s2", "text": "No pleural effusion. (synthetic)"}\n',
                    encoding="utf-8")
    return path
