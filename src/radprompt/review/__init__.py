"""Clinician review of proposals: the view of a proposal, decisions, and the web page.

``proposal_view`` / ``list_proposals`` build what a reviewer reads; ``accept``, ``reject``,
``score_edit`` + ``accept_edit`` record decisions in the run's append-only audit log. The web
app (``radprompt.review.app.create_app``) needs ``pip install 'radprompt[web]'`` and is not
imported here.
"""

from radprompt.review.decisions import (
    ReviewError,
    accept,
    accept_edit,
    editable_text,
    reject,
    review_text,
    score_edit,
    version_text,
)
from radprompt.review.proposals import (
    ExampleChange,
    LabelDelta,
    ProposalSummary,
    ProposalView,
    list_proposals,
    proposal_view,
    side_by_side,
)

__all__ = [
    "ExampleChange",
    "LabelDelta",
    "ProposalSummary",
    "ProposalView",
    "ReviewError",
    "accept",
    "accept_edit",
    "editable_text",
    "list_proposals",
    "proposal_view",
    "reject",
    "review_text",
    "score_edit",
    "side_by_side",
    "version_text",
]
