"""Messages of the licensing service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts import routing
from services.contracts.applications import Applicant
from services.contracts.envelope import Message
from services.contracts.types import Address, Area


class IssueLicense(Message):
    """Issue the license of an approved application; idempotent on application_id."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.LICENSE_ISSUE

    application_id: str
    case_id: str
    holder: Applicant
    county: str
    area: Area
    address: Address
    approved_by: str


class LicenseIssued(Message):
    ROUTING_KEY: ClassVar = routing.LICENSE_ISSUED

    application_id: str
    case_id: str
    license_id: str
    license_number: str
    office_id: str
    issued_at: datetime
    valid_until: date


# -- the life of a license after issuance ----------------------------------------------

LicenseStatus = Literal["active", "suspended", "revoked", "expired"]
LicenseChange = Literal[
    "issued", "renewed", "transferred", "relocated", "suspended", "revoked", "expired",
    "reinstated", "imported",
]


class LicenseSnapshot(BaseModel):
    """A license as it stands after a change: enough for another service to keep a view."""

    model_config = ConfigDict(extra="forbid")

    number: str
    status: LicenseStatus
    holder_national_code: str
    holder_name: str
    holder_mobile: str
    office_id: str
    office_name: str | None = None
    county: str
    area: Area
    address: str
    issued_at: datetime
    valid_until: date
    version: int = Field(ge=1)


class LicenseChanged(Message):
    """Every change of a license, issuance included; ``version`` orders them."""

    ROUTING_KEY: ClassVar = routing.LICENSE_CHANGED

    change: LicenseChange
    license: LicenseSnapshot
    actor: str
    reason: str | None = None
    # the case that caused it, when one did (an application, a review)
    case_id: str | None = None
    application_id: str | None = None
    # the holder before a transfer, the address before a relocation
    previous_holder_national_code: str | None = None
    previous_address: str | None = None
    occurred_at: datetime


class _CaseCommand(Message):
    KIND: ClassVar = "command"

    application_id: str
    case_id: str
    license_number: str
    approved_by: str


class RenewLicense(_CaseCommand):
    """Extend validity by the license term, from its current end date (or today if later);
    idempotent on application_id."""

    ROUTING_KEY: ClassVar = routing.LICENSE_RENEW


class TransferLicense(_CaseCommand):
    """Make ``new_holder`` the license holder; the history keeps both. Idempotent on
    application_id."""

    ROUTING_KEY: ClassVar = routing.LICENSE_TRANSFER

    new_holder: Applicant


class RelocateOffice(_CaseCommand):
    """Move the office to a new address in the same county; idempotent on application_id."""

    ROUTING_KEY: ClassVar = routing.LICENSE_RELOCATE

    new_address: Address


class ExpireLicense(Message):
    """Expire the license if it still ends on ``valid_until`` (a renewal since makes this a
    no-op) and is still active or suspended."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.LICENSE_EXPIRE

    license_number: str
    valid_until: date
    case_id: str


class AssessRenewal(Message):
    """Ask whether a renewal needs a site inspection: open findings on the office, or
    upheld complaints in the last year. Answered with RenewalAssessed."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.RENEWAL_ASSESS

    application_id: str
    case_id: str
    license_number: str


class RenewalAssessed(Message):
    ROUTING_KEY: ClassVar = routing.RENEWAL_ASSESSED

    application_id: str
    case_id: str
    license_number: str
    needs_inspection: bool
    reasons: list[str] = Field(default_factory=list)
