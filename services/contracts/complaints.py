"""Complaints about counter service offices: filed on the public web form or through the
195 line, handled by a workflow (triage, investigation, resolution, reopening), kept and
shown by the complaints service."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.contracts import routing
from services.contracts.envelope import Message
from services.contracts.tasks import SanctionRecommendation
from services.contracts.types import Language, Mobile

ComplaintCategory = Literal[
    "fee_above_tariff",  # charged more than the published tariff
    "refused_service",
    "closed_in_working_hours",
    "misconduct",
    "unlicensed_operator",  # the person at the counter is not the license holder
    "other",
]
COMPLAINT_CATEGORIES: tuple[str, ...] = (
    "fee_above_tariff", "refused_service", "closed_in_working_hours", "misconduct",
    "unlicensed_operator", "other",
)
ComplaintChannel = Literal["web", "phone_195"]

ComplaintStatus = Literal[
    "received",  # filed; the office and the complainant are being told
    "triage",  # waiting for a complaints officer's first look
    "investigation",  # assigned; the office may answer in writing until its deadline
    "inspection",  # the investigator ordered a site inspection
    "resolved",  # upheld or not; the complainant may rate it and reopen it for a while
    "rejected",  # out of scope
    "merged",  # a duplicate of an earlier complaint
    "closed",  # the reopening window has passed
]
# after these the complaint's workflow has ended
FINAL_COMPLAINT_STATUSES = frozenset({"rejected", "merged", "closed"})


class Complainant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mobile: Mobile
    name: str | None = Field(default=None, max_length=120)
    language: Language = "fa"


class ComplaintOffice(BaseModel):
    """The office a complaint is about, as the complaints service knew it at filing."""

    model_config = ConfigDict(extra="forbid")

    office_id: str
    license_number: str
    office_name: str | None = None
    county: str
    holder_national_code: str
    holder_name: str
    holder_mobile: str
    manager_mobile: str | None = None


class ComplaintFiled(Message):
    ROUTING_KEY: ClassVar = routing.COMPLAINT_FILED

    complaint_id: str
    case_id: str  # complaint-<id>: the workflow's id
    tracking_code: str
    channel: ComplaintChannel
    category: ComplaintCategory
    complainant: Complainant
    office: ComplaintOffice
    description: str
    # a fee above the tariff: what was charged (rials) and for which service
    amount_charged: int | None = None
    service_name: str | None = None
    # the 195 operator who took the call
    filed_by: str | None = None
    filed_at: datetime


class ComplaintResolution(BaseModel):
    model_config = ConfigDict(extra="forbid")

    upheld: bool
    summary: str = Field(max_length=2000)
    refund_ordered: bool = False
    refund_amount: int | None = None  # rials
    sanction_recommended: SanctionRecommendation = "none"
    resolved_by: str


ComplaintTimelineKind = Literal["status", "reminder", "escalation", "inspection"]


class ComplaintStatusChanged(Message):
    """Published by the complaint's workflow at every step; ``seq`` orders them."""

    ROUTING_KEY: ClassVar = routing.COMPLAINT_STATUS_CHANGED

    complaint_id: str
    case_id: str
    seq: int = Field(ge=1)
    status: ComplaintStatus
    step: str
    actor: str
    kind: ComplaintTimelineKind = "status"
    note: str | None = None
    # who the complaint waits for now (complaints_officer, inspector, office, complainant)
    awaiting: str | None = None
    due_at: datetime | None = None
    # entering investigation: until when the office may answer in writing
    office_response_due: datetime | None = None
    # on "resolved"
    resolution: ComplaintResolution | None = None
    # on "merged": the tracking code of the complaint it duplicates
    duplicate_of: str | None = None
    # on "resolved": until when the complainant may reopen it
    reopen_until: datetime | None = None
    # how many times it was reopened before this step
    round: int = Field(default=1, ge=1)
    occurred_at: datetime


class ComplaintResolved(Message):
    """The complaints service recorded a resolution (again, after a reopening: the last
    one stands). Licensing counts upheld complaints against the office, and opens a review
    when a sanction is recommended."""

    ROUTING_KEY: ClassVar = routing.COMPLAINT_RESOLVED

    complaint_id: str
    case_id: str
    tracking_code: str
    office_id: str
    license_number: str
    county: str
    category: ComplaintCategory
    round: int = Field(ge=1)
    resolution: ComplaintResolution
    resolved_at: datetime


class ComplaintReopened(Message):
    """The complainant reopened a resolved complaint within the window."""

    ROUTING_KEY: ClassVar = routing.COMPLAINT_REOPENED

    complaint_id: str
    case_id: str
    reason: str = Field(max_length=2000)
    round: int = Field(ge=2)
    reopened_at: datetime
