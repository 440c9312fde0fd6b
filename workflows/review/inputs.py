"""Input and result of the supervision review workflow."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from services.contracts.licensing import ReviewOpened
from workflows.policies import ReviewPolicies


class ReviewInput(BaseModel):
    review: ReviewOpened
    policies: ReviewPolicies


class ReviewResult(BaseModel):
    decision: str  # no_action | warning | suspension | revocation
    applied: bool
    refusal: str | None = None
    suspended_until: date | None = None
    lifted: bool = False
    answered: bool = False
