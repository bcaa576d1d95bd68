"""The typed run store: one directory per optimize run, its records as frozen objects.

``Run`` owns every file of a run directory (manifest, versions, proposals, the audit, edit
and round logs, the lock); ``Manifest``, ``RoundRecord``, ``Proposal``, ``Decision`` and
``Edit`` are what it reads and writes, each with ``from_json`` / ``to_json`` that keep the
files' format. Layers above (optimizers, review, bundles) use these objects, never the JSON.
"""

from radprompt.runs.locking import RunLockedError
from radprompt.runs.proposal import (
    PROPOSAL_FORMAT,
    Change,
    ChangeClass,
    GuardExamplesResult,
    GuardGold,
    Proposal,
    ReportChange,
    Significance,
)
from radprompt.runs.records import (
    RUN_FORMAT,
    Decision,
    Edit,
    LabelRow,
    Manifest,
    RoundRecord,
    ScoreSummary,
)
from radprompt.runs.scoring import ExtractionScore, score_extraction
from radprompt.runs.store import Run, VersionRecord, list_runs

__all__ = [
    "PROPOSAL_FORMAT",
    "RUN_FORMAT",
    "Change",
    "ChangeClass",
    "Decision",
    "Edit",
    "ExtractionScore",
    "GuardExamplesResult",
    "GuardGold",
    "LabelRow",
    "Manifest",
    "Proposal",
    "ReportChange",
    "RoundRecord",
    "Run",
    "RunLockedError",
    "ScoreSummary",
    "Significance",
    "VersionRecord",
    "list_runs",
    "score_extraction",
]
