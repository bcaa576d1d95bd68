"""Moved to ``radprompt.runs``; this module re-exports it for code not yet updated."""

from radprompt.runs import RUN_FORMAT, Decision, Run, RunLockedError, list_runs

__all__ = ["RUN_FORMAT", "Decision", "Run", "RunLockedError", "list_runs"]
