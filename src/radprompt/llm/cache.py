"""A disk cache of model answers keyed by model, decoding parameters and the exact messages.

Re-running an unchanged evaluation reads every answer from here and sends no request. The
cache is one SQLite file (WAL mode, safe for several processes); each answer is committed as
soon as it arrives, so an interrupted run loses nothing it paid for. Only answers the server
delivered are stored; failed requests are not.

Example::

    >>> cache = ResponseCache(path="/tmp/radprompt-doc-cache.sqlite")
    >>> key = cache_key(model="hosted_vllm/m", params={"temperature": 0},
    ...                 messages=[{"role": "user", "content": "hi"}])
    >>> cache.put(key, Completion("hello", 3, 1))
    >>> cache.get(key).text
    'hello'
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from radprompt.llm.base import Completion, Message

__all__ = ["ResponseCache", "cache_key", "default_cache_path"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    cost REAL,
    finish_reason TEXT,
    created REAL NOT NULL
)
"""


def default_cache_path() -> Path:
    """``$RADPROMPT_CACHE_DIR``, else ``$XDG_CACHE_HOME/radprompt``, else ``~/.cache/radprompt``;
    the file is ``llm-cache.sqlite`` inside it."""
    if folder := os.environ.get("RADPROMPT_CACHE_DIR"):
        return Path(folder) / "llm-cache.sqlite"
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "radprompt" / "llm-cache.sqlite"


def cache_key(*, model: str, params: Mapping[str, Any], messages: Sequence[Message]) -> str:
    """sha256 over the model, the canonical JSON of the parameters, and each message's fields,
    every part length-prefixed (no escaping of long prompts: this runs once per request)."""
    digest = hashlib.sha256()
    header = json.dumps({"model": model, "params": dict(params)}, sort_keys=True,
                        separators=(",", ":"), default=str).encode()
    for part in (header, *(
        str(text).encode() for message in messages
        for item in sorted(message.items()) for text in item
    )):
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


class ResponseCache:
    """Answers by ``cache_key``; opens the SQLite file on first use."""

    def __init__(self, *, path: str | Path) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                         isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_SCHEMA)
            self._connection = connection
        return self._connection

    def get(self, key: str) -> Completion | None:
        row = self._db().execute(
            "SELECT text, prompt_tokens, completion_tokens, cost, finish_reason "
            "FROM completions WHERE key = ?", (key,),
        ).fetchone()
        if row is None:
            return None
        text, prompt_tokens, completion_tokens, cost, finish_reason = row
        return Completion(text, prompt_tokens, completion_tokens, cost, finish_reason,
                          cached=True)

    def put(self, key: str, completion: Completion, *, model: str = "") -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO completions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (key, model, completion.text, completion.prompt_tokens,
             completion.completion_tokens, completion.cost, completion.finish_reason,
             time.time()),
        )

    def __len__(self) -> int:
        return int(self._db().execute("SELECT COUNT(*) FROM completions").fetchone()[0])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
