"""A loopback OpenAI-compatible chat server with scriptable answers, latency and faults.

It speaks just enough HTTP/1.1 (keep-alive, ``Content-Length`` bodies) for LiteLLM, the OpenAI
SDK and DSPy to talk to it as they would to ``vllm serve``: ``POST /v1/chat/completions`` and
``GET /v1/models``, plus ``GET /_fake/stats`` (request count, peak concurrency). Each request is
answered by the first scripted ``Behaviour`` whose ``match`` occurs in the conversation's user
messages, else by the default: wait ``latency`` seconds, then answer with ``answerer(messages)``.

Example::

    >>> from radprompt.testing import Behaviour, FakeOpenAIServer
    >>> with FakeOpenAIServer(answerer=lambda messages: '{"ok": true}', latency=0.01) as server:
    ...     server.script(Behaviour.fail(429), Behaviour.prose(), match="report-7")
    ...     base_url = server.base_url        # http://127.0.0.1:<port>/v1
    ...     # point hosted_vllm/<model> with api_base=base_url at it

From a shell, or in a child process (``radprompt.testing.serve.fake_server_process``, used by
``radprompt bench llm`` so the server does not share the client's GIL)::

    python -m radprompt.testing --latency 0.05 --answer rules --labelset chestxray21
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from radprompt.testing.behaviours import (
    PROSE,
    Answerer,
    Behaviour,
    RecordedRequest,
    approx_token_count,
    constant_answer,
    message_text,
    ramble,
    refusal_of,
)

__all__ = [
    "Answerer",
    "Behaviour",
    "FakeOpenAIServer",
    "RecordedRequest",
    "approx_token_count",
]

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 429: "Too Many Requests",
            500: "Internal Server Error", 503: "Service Unavailable"}


@dataclass
class _Rule:
    match: str | None
    queue: deque[Behaviour]
    repeat: bool


@dataclass
class _Stats:
    count: int = 0
    active: int = 0
    peak: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)


class FakeOpenAIServer:
    """An OpenAI-compatible server on 127.0.0.1 (a random free port unless ``port`` is given).

    Use it as a context manager, or ``start()`` / ``stop()``. It runs its own event loop in a
    daemon thread; scripting and reading ``requests`` are safe from any thread.
    """

    def __init__(
        self,
        *,
        answerer: Answerer | None = None,
        latency: float = 0.0,
        model: str = "fake-model",
        host: str = "127.0.0.1",
        port: int = 0,
        stall_seconds: float = 3600.0,
        keep_requests: bool = True,
        dialect: str = "openai",
        context_length: int | None = None,
    ) -> None:
        self.answerer = answerer or constant_answer
        self.latency = latency
        self.model = model
        self.host = host
        self.port = port
        self.stall_seconds = stall_seconds
        self.keep_requests = keep_requests
        self.dialect = dialect
        """``openai`` takes ``response_format: json_schema``; ``llamacpp`` refuses it with HTTP
        500 as llama-cpp-python's server does and takes ``{"type": "json_object", "schema"}``;
        ``openai_strict`` refuses a schema with ``maxLength`` (HTTP 400) as OpenAI's API does."""
        self.context_length = context_length
        """Refuse (HTTP 400, llama.cpp's words) a prompt + max_tokens over this many tokens."""
        self._rules: list[_Rule] = []
        self._stats = _Stats()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None
        self._counts: dict[str, int] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._run, name="fake-openai", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._error is not None:
            raise RuntimeError(f"the fake server could not start: {self._error}")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._shutdown)
            self._thread.join(timeout=10)
        self._loop = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                asyncio.start_server(self._handle, self.host, self.port, backlog=1024)
            )
        except OSError as exc:
            self._error = exc
            self._ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._loop = loop
        self._server = server
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _shutdown(self) -> None:
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        assert self._loop is not None
        self._loop.call_later(0.05, self._loop.stop)

    # -- scripting and statistics ----------------------------------------------------------
    def script(self, *behaviours: Behaviour, match: str | None = None,
               repeat: bool = False) -> None:
        """Queue ``behaviours`` for the next requests whose user messages contain ``match``
        (any request when ``None``); with ``repeat`` the last one stays for good."""
        with self._lock:
            self._rules.append(_Rule(match, deque(behaviours), repeat))

    def reset(self) -> None:
        """Forget scripts and recorded requests."""
        with self._lock:
            self._rules.clear()
            self._stats = _Stats()

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._stats.requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._stats.count

    def _count(self, text: str) -> int:
        """Token count, remembered per text: the static prefix repeats in every request."""
        if len(text) < 256:
            return approx_token_count(text)
        counts = self._counts
        if text not in counts:
            if len(counts) > 1024:
                counts.clear()
            counts[text] = approx_token_count(text)
        return counts[text]

    @property
    def peak_concurrency(self) -> int:
        """The most requests the server held open at once."""
        with self._lock:
            return self._stats.peak

    def _next_behaviour(self, messages: list[dict[str, Any]]) -> Behaviour:
        said = "\n".join(message_text(m.get("content")) for m in messages
                         if m.get("role") == "user")
        with self._lock:
            for rule in self._rules:
                if rule.queue and (rule.match is None or rule.match in said):
                    if rule.repeat and len(rule.queue) == 1:
                        return rule.queue[0]
                    return rule.queue.popleft()
        return Behaviour()

    # -- HTTP ------------------------------------------------------------------------------
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    break
                method, path, headers, body = request
                reply = await self._route(method, path, body)
                if reply is None:  # a stalled request ends with the connection
                    break
                status, payload = reply
                writer.write(_response_bytes(status, payload))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError, ValueError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()

    async def _route(self, method: str, path: str, body: bytes) -> tuple[int, Any] | None:
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path.endswith("/models"):
            entry: dict[str, Any] = {"id": self.model, "object": "model"}
            if self.context_length is not None:
                entry["max_model_len"] = self.context_length  # as vLLM says it
            return 200, {"object": "list", "data": [entry]}
        if method == "GET" and path == "/_fake/stats":
            with self._lock:
                return 200, {"requests": self._stats.count, "peak": self._stats.peak}
        if method == "POST" and path.endswith("/chat/completions"):
            try:
                data = json.loads(body or b"{}")
            except json.JSONDecodeError:
                return 400, _error("the request body is not JSON", "invalid_request_error")
            if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
                return 400, _error("'messages' must be a list", "invalid_request_error")
            if data.get("stream"):
                return 400, _error("the fake server does not stream", "invalid_request_error")
            return await self._complete(data)
        return 404, _error(f"no route {method} {path}", "not_found")

    async def _complete(self, data: dict[str, Any]) -> tuple[int, Any] | None:
        loop = asyncio.get_running_loop()
        received = loop.time()
        messages: list[dict[str, Any]] = data["messages"]
        behaviour = self._next_behaviour(messages)
        params = {k: v for k, v in data.items() if k != "messages"}
        with self._lock:
            stats = self._stats
            stats.count += 1
            if self.keep_requests:
                stats.requests.append(RecordedRequest(messages, params, behaviour, time.time()))
            stats.active += 1
            stats.peak = max(stats.peak, stats.active)
        try:
            if behaviour.hangs:
                await asyncio.sleep(self.stall_seconds)
                return None
            reply: tuple[int, Any]
            refusal = refusal_of(messages, params, dialect=self.dialect,
                                 context_length=self.context_length)
            if refusal is not None:
                reply = refusal
            elif behaviour.status != 200:
                kind = "rate_limit_error" if behaviour.status == 429 else "server_error"
                reply = behaviour.status, _error(
                    behaviour.message or f"fake HTTP {behaviour.status}", kind)
            else:
                try:
                    reply = 200, self._completion(messages, behaviour,
                                                  str(data.get("model", self.model)), params)
                except Exception as exc:  # a broken answerer shows as HTTP 500, not a hang
                    reply = 500, _error(f"the answerer failed: {exc!r}", "server_error")
            # The latency counts from the request's arrival, answering time included.
            latency = self.latency if behaviour.latency is None else behaviour.latency
            if (left := received + latency - loop.time()) > 0:
                await asyncio.sleep(left)
            return reply
        finally:
            with self._lock:
                stats.active -= 1

    def _completion(self, messages: list[dict[str, Any]], behaviour: Behaviour,
                    model: str, params: dict[str, Any]) -> dict[str, Any]:
        if behaviour.answer is not None:
            text = behaviour.answer
        elif behaviour.non_json:
            text = PROSE
        else:
            text = self.answerer(messages)
        finish = "stop"
        if behaviour.wraps is not None:
            text = json.dumps({behaviour.wraps: json.loads(text)})
        if behaviour.rambles:
            text, finish = ramble(text, params)
        if behaviour.thinks:
            text = ("<think>\nThe user wants JSON. Let me read the report {carefully}.\n"
                    "</think>\n\n" + text)
        if behaviour.cut_off:
            text, finish = text[: max(1, len(text) // 2)], "length"
        prompt_tokens = sum(self._count(message_text(m.get("content"))) for m in messages)
        completion_tokens = approx_token_count(text)
        with self._lock:
            number = self._stats.count
        return {
            "id": f"chatcmpl-fake-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                      "total_tokens": prompt_tokens + completion_tokens},
        }


def _error(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": kind}}


async def _read_request(
    reader: asyncio.StreamReader,
) -> tuple[str, str, dict[str, str], bytes] | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, path, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        header = await reader.readline()
        if header in (b"\r\n", b"\n", b""):
            break
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0") or 0)
    body = await reader.readexactly(length) if length else b""
    return method, path, headers, body


def _response_bytes(status: int, payload: Any) -> bytes:
    body = json.dumps(payload).encode()
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: keep-alive\r\n"
    )
    if status == 429:
        head += "Retry-After: 0\r\n"
    return (head + "\r\n").encode() + body
