"""When a run must stop: its budget (time, requests, tokens) and a model that does not answer."""

from __future__ import annotations

import logging
import time
from typing import Any

from radprompt.runs.scoring import ExtractionScore

__all__ = ["Budget", "model_failing"]

logger = logging.getLogger(__name__)


class Budget:
    """The limits of an ``OptimizeConfig`` (``time_limit``, ``max_requests``, ``max_tokens``)."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.started = time.monotonic()

    def exhausted(self, usage: dict[str, int]) -> str | None:
        c = self.config
        if c.time_limit is not None and time.monotonic() - self.started >= c.time_limit:
            return f"time limit of {c.time_limit:g} s reached"
        if c.max_requests is not None and usage.get("requests", 0) >= c.max_requests:
            return f"request budget of {c.max_requests} spent"
        if c.max_tokens is not None and usage.get("tokens", 0) >= c.max_tokens:
            return f"token budget of {c.max_tokens} spent"
        return None

    def spent_money(self, usage: dict[str, int]) -> bool:
        """Whether the request or token budget (not time) is spent."""
        c = self.config
        return bool((c.max_requests is not None and usage.get("requests", 0) >= c.max_requests)
                    or (c.max_tokens is not None and usage.get("tokens", 0) >= c.max_tokens))


def model_failing(*evaluations: ExtractionScore) -> str | None:
    """A reason to stop when the model fails on half the reports (server down, wrong model,
    answers that never parse): scores of missing answers would mislead every proposal."""
    failures = [f for evaluation in evaluations for f in evaluation.failures]
    total = len(failures) + sum(len(e.predictions) for e in evaluations)
    if not failures:
        return None
    logger.warning("%d of %d report(s) got no usable answer", len(failures), total)
    if len(failures) * 2 < total:
        return None
    return (f"the model gave no usable answer for {len(failures)} of {total} reports "
            f"(first: {failures[0].reason})")
