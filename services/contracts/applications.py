"""Messages the applications service publishes, and the status events it folds in."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Address, Area, Language, Mobile, NationalCode, PersonName

ApplicationKind = Literal["new_license"]

ApplicationStatus = Literal[
    "submitted",
    "document_review",
    "inspection",
    "decision",
    "issuing",
    "issued",
    "rejected",
]


class Applicant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    national_code: NationalCode
    name: PersonName
    mobile: Mobile
    email: EmailStr | None = None
    language: Language = "fa"


class ApplicationSubmitted(Message):
    ROUTING_KEY: ClassVar = routing.APPLICATION_SUBMITTED

    application_id: str
    case_id: str
    kind: ApplicationKind
    applicant: Applicant
    county: str
    area: Area
    address: Address
    submitted_at: datetime


class ApplicationStatusChanged(Message):
    """Published by the case's workflow at every step; ``seq`` orders the steps."""

    ROUTING_KEY: ClassVar = routing.APPLICATION_STATUS_CHANGED

    application_id: str
    case_id: str
    seq: int = Field(ge=1)
    status: ApplicationStatus
    step: str
    actor: str
    note: str | None = None
    awaiting: str | None = None
    license_number: str | None = None
    occurred_at: datetime
