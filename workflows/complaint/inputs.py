"""Input and result of the complaint workflow."""

from __future__ import annotations

from pydantic import BaseModel

from services.contracts.complaints import ComplaintFiled
from workflows.policies import ComplaintPolicies


class ComplaintInput(BaseModel):
    complaint: ComplaintFiled
    policies: ComplaintPolicies


class ComplaintResult(BaseModel):
    status: str  # closed | rejected | merged
    upheld: bool | None = None
    rounds: int = 1
    duplicate_of: str | None = None
    reason: str | None = None
