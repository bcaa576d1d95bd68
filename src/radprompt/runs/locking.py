"""The run lock: an advisory ``flock`` on ``run.lock`` held by the process driving a run.

The kernel drops the lock when the process dies, even by kill -9, so a run marked running
that nobody holds was interrupted.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from radprompt.errors import RadpromptError

__all__ = ["LOCK_FILE", "RunLockedError", "hold", "holder"]

LOCK_FILE = "run.lock"


class RunLockedError(RadpromptError):
    """Another process drives this run."""


@contextmanager
def hold(directory: Path) -> Iterator[None]:
    """Hold ``directory`` exclusively; raise ``RunLockedError`` naming the holder if another
    process has it."""
    handle = (directory / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            found = holder(directory) or {}
            raise RunLockedError(
                f"run {directory} is in use by process {found.get('pid', '?')} on "
                f"{found.get('host', '?')} since {found.get('since', '?')}; wait for it "
                "to finish (or stop it) before resuming") from None
        handle.seek(0)
        handle.truncate()
        since = datetime.now(UTC).isoformat(timespec="seconds")
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "since": since}) + "\n")
        handle.flush()
        yield
    finally:
        handle.close()


def holder(directory: Path) -> dict[str, Any] | None:
    """Who holds the lock of ``directory`` now (pid, host, since), or None when nobody does."""
    path = directory / LOCK_FILE
    if not path.is_file():
        return None
    with path.open("r", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                data: dict[str, Any] = json.loads(handle.read() or "{}")
            except json.JSONDecodeError:
                data = {}
            return data
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return None
