"""Input and result of the new-license workflow."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from services.contracts.applications import Applicant
from services.contracts.types import Area
from workflows.policies import CasePolicies


class NewLicenseInput(BaseModel):
    application_id: str
    case_id: str
    applicant: Applicant
    county: str
    area: Area
    address: str
    submitted_at: datetime
    policies: CasePolicies


class NewLicenseResult(BaseModel):
    status: Literal["issued", "rejected", "withdrawn", "abandoned"]
    license_number: str | None = None
    rejected_at_step: str | None = None
    reason: str | None = None
    actor: str | None = None
    review_rounds: int = 1
