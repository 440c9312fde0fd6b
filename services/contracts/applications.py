"""Messages the applications service publishes, and the status events it folds in."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.types import Address, Area, Language, Mobile, NationalCode, PersonName

ApplicationKind = Literal["new_license", "renewal", "transfer", "address_change"]

ApplicationStatus = Literal[
    "submitted",
    "awaiting_consent",
    "document_review",
    "correction_requested",
    "inspection",
    "decision",
    "issuing",
    "issued",
    "renewed",
    "transferred",
    "relocated",
    "rejected",
    "withdrawn",
    "abandoned",
]
# after these nothing more happens to a case
FINAL_STATUSES = frozenset(
    {"issued", "renewed", "transferred", "relocated", "rejected", "withdrawn", "abandoned"}
)
# an applicant may withdraw until the license is being issued or changed
WITHDRAWABLE_STATUSES = frozenset(
    {"submitted", "awaiting_consent", "document_review", "correction_requested", "inspection",
     "decision"}
)

# What an applicant for a new office license uploads, each once (a correction replaces it).
REQUIRED_DOCUMENTS: tuple[str, ...] = (
    "national_id_card",
    "education_certificate",
    "premises_document",
    "clearance_certificate",
)
# What each kind of application needs; for a transfer, the new holder's papers and the
# agreement between the two holders.
REQUIRED_DOCUMENTS_BY_KIND: dict[str, tuple[str, ...]] = {
    "new_license": REQUIRED_DOCUMENTS,
    "renewal": ("national_id_card", "clearance_certificate"),
    "transfer": ("national_id_card", "education_certificate", "clearance_certificate",
                 "transfer_agreement"),
    "address_change": ("premises_document",),
}

# What a timeline entry records: a change of status, or something that happened meanwhile.
TimelineKind = Literal["status", "reminder", "escalation"]


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
    # the license a renewal, transfer or change of address is about
    license_number: str | None = None
    # a transfer's new holder
    new_holder: Applicant | None = None


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
    kind: TimelineKind = "status"
    # on a correction request: the documents to upload again
    documents: list[str] | None = None
    # until when the awaited party has (a correction's deadline, a task's due time)
    due_at: datetime | None = None
    occurred_at: datetime


class ApplicationCorrected(Message):
    """The applicant answered a correction request with replacement documents."""

    ROUTING_KEY: ClassVar = routing.APPLICATION_CORRECTED

    application_id: str
    case_id: str
    documents: list[str]
    corrected_at: datetime


class ApplicationWithdrawn(Message):
    ROUTING_KEY: ClassVar = routing.APPLICATION_WITHDRAWN

    application_id: str
    case_id: str
    reason: str | None = None
    withdrawn_at: datetime

class ApplicationConsented(Message):
    """A transfer's new holder agreed to take the license on."""

    ROUTING_KEY: ClassVar = routing.APPLICATION_CONSENTED

    application_id: str
    case_id: str
    national_code: str
    consented_at: datetime
