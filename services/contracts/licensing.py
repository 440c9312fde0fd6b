"""Messages of the licensing service."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts import routing
from services.contracts.applications import Applicant
from services.contracts.envelope import Message
from services.contracts.tasks import SanctionKind
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
    "reinstated", "imported", "warned",
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
    office_manager_mobile: str | None = None
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


class LicenseChangeRefused(Message):
    """Licensing could not make the change a case asked for (renew, transfer, relocate,
    assess a renewal): the license was revoked or changed meanwhile, or is unknown. The
    case ends with the reason instead of waiting."""

    ROUTING_KEY: ClassVar = routing.LICENSE_CHANGE_REFUSED

    application_id: str
    case_id: str
    license_number: str
    command: str  # the refused command's routing key
    code: str
    detail: str | None = None
    refused_at: datetime


class RenewalAssessed(Message):
    ROUTING_KEY: ClassVar = routing.RENEWAL_ASSESSED

    application_id: str
    case_id: str
    license_number: str
    needs_inspection: bool
    reasons: list[str] = Field(default_factory=list)


class ReinstateLicense(Message):
    """Lift the suspension a review imposed, at its end. A no-op unless the license is
    still suspended by that review (``case_id``)."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.LICENSE_REINSTATE

    license_number: str
    case_id: str
    review_id: str
    reason: str


# -- office activity -----------------------------------------------------------------

class OfficeActivityReported(Message):
    """An office's count of services for one (Jalali) month; a later report for the same
    month replaces the earlier one."""

    ROUTING_KEY: ClassVar = routing.OFFICE_ACTIVITY_REPORTED

    office_id: str
    license_number: str | None = None
    county: str
    year: int = Field(ge=1300, le=1500)
    month: int = Field(ge=1, le=12)
    service_count: int = Field(ge=0)
    reported_by: str
    reported_at: datetime


# -- supervision --------------------------------------------------------------------------

ReviewReason = Literal[
    "idle",  # no activity reported for N days
    "upheld_complaints",  # K or more upheld complaints in 12 months
    "failed_inspection",
    "operator_not_holder",  # a finding: the person running the office is not the holder
    "complaint_sanction",  # a complaint's resolution recommended a sanction
]
ReviewDecision = Literal["no_action", "warning", "suspension", "revocation"]


class SweepOffices(Message):
    """Find the offices that need a review, as of ``as_of``, and open one review per
    office that has none open. Sent by the supervision schedule; idempotent on the
    message id (the sweep's run)."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.SUPERVISION_SWEEP

    sweep_id: str
    as_of: datetime
    idle_days: int = Field(ge=1)
    upheld_threshold: int = Field(ge=1)
    lookback_days: int = Field(ge=1)


class ReviewOpened(Message):
    """Licensing opened a review case for an office; the workflows start its process."""

    ROUTING_KEY: ClassVar = routing.REVIEW_OPENED

    review_id: str
    case_id: str  # review-<id>: the workflow's id
    office_id: str
    office_name: str | None = None
    license_number: str
    county: str
    holder_national_code: str
    holder_name: str
    holder_mobile: str
    reasons: list[ReviewReason]
    # a reason's particulars: days idle, complaint count, the complaint's tracking code...
    details: dict[str, str] = Field(default_factory=dict)
    recommended: SanctionKind | None = None
    opened_at: datetime


class ReviewAnswered(Message):
    """The license holder answered the review in writing (before the decision)."""

    ROUTING_KEY: ClassVar = routing.REVIEW_ANSWERED

    review_id: str
    case_id: str
    text: str = Field(max_length=4000)
    answered_at: datetime


class DecideReview(Message):
    """Apply the officer's decision on a review: a warning, a suspension for some days or
    a revocation of the license, or no action; the review closes. Idempotent on
    review_id. Answered with ReviewDecided."""

    KIND: ClassVar = "command"
    ROUTING_KEY: ClassVar = routing.REVIEW_DECIDE

    review_id: str
    case_id: str
    license_number: str
    decision: ReviewDecision
    suspension_days: int | None = Field(default=None, ge=1, le=365)
    reason: str | None = None
    actor: str


class ReviewDecided(Message):
    ROUTING_KEY: ClassVar = routing.REVIEW_DECIDED

    review_id: str
    case_id: str
    license_number: str
    decision: ReviewDecision
    # False when the license could not take the sanction (revoked or expired meanwhile)
    applied: bool
    refusal: str | None = None
    suspended_until: date | None = None
    decided_at: datetime
