"""The error-driven, clinician-in-the-loop optimizer."""

from radprompt.optimizers.changes import Change, ChangeClass, classify_changes
from radprompt.optimizers.loop import (
    APPROVAL_MODES,
    OptimizeConfig,
    OptimizeOutcome,
    optimize,
    resume,
)
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.optimizers.transfer import TransferSettings, paired_bootstrap
from radprompt.runs import Decision, Run, RunLockedError, list_runs

__all__ = [
    "APPROVAL_MODES",
    "Change",
    "ChangeClass",
    "Decision",
    "OptimizeConfig",
    "OptimizeOutcome",
    "Program",
    "PromptProgram",
    "Revision",
    "RulesProgram",
    "Run",
    "RunLockedError",
    "TransferSettings",
    "classify_changes",
    "list_runs",
    "optimize",
    "paired_bootstrap",
    "resume",
]
