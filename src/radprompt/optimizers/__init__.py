"""The error-driven, clinician-in-the-loop optimizer."""

from radprompt.optimizers.loop import OptimizeConfig, OptimizeOutcome, optimize, resume
from radprompt.optimizers.program import Program, Revision, RulesProgram
from radprompt.optimizers.prompt_program import PromptProgram
from radprompt.optimizers.runs import Decision, Run, list_runs

__all__ = [
    "Decision",
    "OptimizeConfig",
    "OptimizeOutcome",
    "Program",
    "PromptProgram",
    "Revision",
    "RulesProgram",
    "Run",
    "list_runs",
    "optimize",
    "resume",
]
